"""Our LocaleMiddleware must answer exactly as Django's does on a site without i18n_patterns."""

import pytest
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from duecourse.shell.middleware import LocaleMiddleware


@pytest.mark.parametrize("path", ["/api/v1/me/assignments", "/", "/de/people/", "/people/", "/fr-ca/x"])
@pytest.mark.parametrize("accept", ["", "de", "fr-CA,fr;q=0.8", "zz", "it-IT,en;q=0.5", "en-GB"])
@pytest.mark.parametrize("cookie", [None, "it", "xx"])
def test_same_language_and_headers_as_djangos(path, accept, cookie):
    def answer(middleware_class):
        request = RequestFactory().get(path, HTTP_ACCEPT_LANGUAGE=accept)
        if cookie:
            request.COOKIES["django_language"] = cookie
        with translation.override(None):
            response = middleware_class(lambda r: HttpResponse("ok"))(request)
            return request.LANGUAGE_CODE, response.get("Content-Language"), response.get("Vary")

    assert answer(LocaleMiddleware) == answer(DjangoLocaleMiddleware)
