import time

from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject

from duecourse.core.languages import language_for_locale
from duecourse.people.authentication import actor_for_user


class LocaleMiddleware(MiddlewareMixin):
    """Django's LocaleMiddleware for a site without `i18n_patterns`: the language comes from the cookie
    and Accept-Language, the response says which one and that it varies by it.

    Django's own also looks for a language prefix in every path, used or not: for `/api/…` that is a
    failed look-up of "api" against every known language, twice a request, a tenth of a small API call.
    """

    def process_request(self, request):
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ActorMiddleware:
    """Puts the logged-in person (`request.actor`) on every web request; None when anonymous."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: actor_for_user(request.user))
        return self.get_response(request)


class PersonLanguageMiddleware:
    """After sign-in, the person's own locale chooses the language of the pages (`core.languages`); a locale
    we do not speak leaves the browser's choice (LocaleMiddleware's) in place. API calls with a token carry
    no session person, so their messages follow Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # `request.actor` is lazy: a signed-in user without an active person (deactivated) reads as falsy.
        if getattr(request.user, "is_authenticated", False) and request.actor:
            language = language_for_locale(request.actor.locale)
            if language is not None:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class ServerTimingMiddleware:
    """Says in a `Server-Timing` header how long the server spent on each response (`app;dur=` in
    milliseconds, from this middleware, the first, to the response): what a browser's developer tools show
    beside the network time, and what `duecourse bench` reads as a page's server time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
