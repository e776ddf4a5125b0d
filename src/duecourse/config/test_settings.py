"""Settings for the test suite: the same as production but with a test database and fast hashing."""

import os

os.environ.setdefault("DUECOURSE_DB_POOL", "0")

from duecourse.config.settings import *  # noqa: E402,F403
from duecourse.config.settings import _database_from_url  # noqa: E402

_test_url = os.environ.get("DUECOURSE_TEST_DATABASE_URL")
if _test_url:
    DATABASES = {"default": _database_from_url(_test_url)}
else:
    DATABASES = {"default": _database_from_url("sqlite:///" + str(DATA_DIR / "test.sqlite3"))}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEBUG = False
# The tests' OpenID Connect provider runs on 127.0.0.1 over plain http (duecourse.testing.oidc).
OIDC_ALLOW_INSECURE_LOOPBACK = True
