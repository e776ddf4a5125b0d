"""Fixtures shared by every test module (documented in duecourse/testing/factories.py), and the `slow` mark.

`slow` marks what runs real processes, a browser or a fuzzer: each such module says so with
`pytestmark`, except browser tests, which are all slow (below). `-m "not slow"` is the quick loop.
"""

import pytest

from duecourse.testing import factories
from duecourse.testing.api import ApiClient
from duecourse.testing.web import signed_in as sign_in_client

# `oidc_provider`: a real OpenID Connect provider process on loopback (tests/oidc_provider/README.md).
pytest_plugins = ["duecourse.testing.oidc"]


def pytest_configure(config):
    from django.conf import settings

    from duecourse.testing.live_server import serve_one_request_at_a_time_on_sqlite

    serve_one_request_at_a_time_on_sqlite(settings.DATABASES["default"]["ENGINE"])


@pytest.fixture(autouse=True)
def _english_at_the_start():
    """Each test starts in the default language: a request in Italian leaves Italian active in its thread
    (Django's LocaleMiddleware activates per request and never resets), which a later test would inherit."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def make_tenant(db):
    return factories.make_tenant


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("Acme")


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant("Globex")


@pytest.fixture
def make_person(db):
    return factories.make_person


@pytest.fixture
def admin(tenant, make_person):
    return make_person(tenant, roles=("admin",), email="admin@acme.test", name="Ada Admin")


@pytest.fixture
def learner(tenant, make_person):
    return make_person(tenant, name="Lena Learner", email="lena@acme.test")


@pytest.fixture
def signed_in(db):
    """signed_in(person) -> a Django test Client signed in as that person through the login form."""
    return sign_in_client


@pytest.fixture
def api_as():
    """api_as(person) -> an ApiClient authenticated as that person; api_as(None) is anonymous."""
    return ApiClient


@pytest.fixture
def admin_api(admin):
    return ApiClient(admin)


@pytest.fixture
def api_without_static_files(settings):
    """JSON API tests serve no static files: skip WhiteNoise's scan of every app's static files, which
    it repeats for each new test client and which otherwise dominates the time of a short API test."""
    settings.WHITENOISE_USE_FINDERS = False
