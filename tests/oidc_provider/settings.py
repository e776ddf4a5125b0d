"""Settings of the test OpenID Connect provider (django-oauth-toolkit), a Django project of its own.

It runs in its own server process (started by duecourse.testing.oidc) and never sees duecourse's settings or
database. The process environment carries what differs per run:

- OIDC_PROVIDER_ISSUER: the issuer, e.g. http://127.0.0.1:PORT/o (the ID token's `iss`, exactly)
- OIDC_PROVIDER_CONTROL_SECRET: the secret the test-only control endpoints (/test/...) require
- OIDC_PROVIDER_DB: the path of its SQLite database (created at start by wsgi.py)
"""

import os
import secrets

from oidc_provider.keys import new_private_key_pem

ISSUER = os.environ["OIDC_PROVIDER_ISSUER"]
CONTROL_SECRET = os.environ["OIDC_PROVIDER_CONTROL_SECRET"]

SECRET_KEY = secrets.token_urlsafe(40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "oidc_provider.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]

# One SQLite file per process; the tables are created straight from the models (no migrations to replay), so
# the provider is up in about a second.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["OIDC_PROVIDER_DB"],
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
}
MIGRATION_MODULES = {app: None for app in ("auth", "contenttypes", "sessions", "oauth2_provider", "oidc_provider")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # users' passwords and client secrets

LOGIN_URL = "/login/"
# The browser shares cookies between all ports of 127.0.0.1: the provider's must not be named like duecourse's.
SESSION_COOKIE_NAME = "oidc_provider_session"
CSRF_COOKIE_NAME = "oidc_provider_csrftoken"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RSA_PRIVATE_KEY": new_private_key_pem(),  # replaced by POST /test/rotate (oidc_provider.keys)
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only, no "plain"
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,  # no confirmation page when id_token_hint names the user
    "OAUTH2_VALIDATOR_CLASS": "oidc_provider.validator.Validator",
    "SCOPES": {"openid": "OpenID Connect", "email": "Email address", "profile": "Name, department and manager"},
    "DEFAULT_SCOPES": ["openid"],
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
