"""duecourse settings: everything an operator may change comes from the environment."""

import contextlib
import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from duecourse.core.languages import DEFAULT_LANGUAGE
from duecourse.core.languages import LANGUAGES as SUPPORTED_LANGUAGES
from duecourse.people import limits as people_limits


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ImproperlyConfigured(f"{name} must be a whole number of 0 or more, not {value!r}")
    return number


PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DUECOURSE_DATA_DIR", "./duecourse-data")).resolve()
# Only its owner may enter the data dir (database, secret key, emails): made 0700 when it does not exist yet,
# by whichever command or process starts first. A directory that cannot be made is reported by what needs
# it (the secret key below, the SQLite database by the CLI).
with contextlib.suppress(OSError):
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _generated_secret_key(key_file: Path) -> str:
    """The key an embedded install keeps in its data dir so sessions survive restarts: read, or made once
    (0600 from the start, never world-readable for a moment). Refuses rather than fall back to a known key."""

    def refuse(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f"cannot use the secret key file {key_file}: {reason}. Set DUECOURSE_SECRET_KEY, or make "
            f"{key_file.parent} writable (and the key file readable) by the user duecourse runs as."
        )

    import secrets
    import time

    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as error:
        raise refuse(error.strerror or str(error)) from error
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
    # Another process may have just created the file and not written it yet: give it a moment.
    for _attempt in range(20):
        try:
            key = key_file.read_text().strip()
        except OSError as error:
            raise refuse(error.strerror or str(error)) from error
        if key:
            return key
        time.sleep(0.1)
    raise refuse("it is empty")


DEBUG = _env_bool("DUECOURSE_DEBUG")
SECRET_KEY = os.environ.get("DUECOURSE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and _env_bool("DUECOURSE_REQUIRE_SECRET_KEY"):
        raise ImproperlyConfigured("DUECOURSE_SECRET_KEY must be set")
    SECRET_KEY = _generated_secret_key(DATA_DIR / "secret_key")

# Old keys, newest first, still accepted for sessions, reset links and sealed secrets after a key change
# (docs/operations.md, docs/identity.md "Rotating the secret key").
SECRET_KEY_FALLBACKS = [k.strip() for k in os.environ.get("DUECOURSE_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]

BASE_URL = os.environ.get("DUECOURSE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DUECOURSE_ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", urlparse(BASE_URL).hostname or "localhost"]
CSRF_TRUSTED_ORIGINS = [BASE_URL]
# The reverse proxies (IPs or CIDR networks) whose X-Forwarded-For names the client (`core.clients`).
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("DUECOURSE_TRUSTED_PROXIES", "").split(",") if p.strip()]
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"DUECOURSE_TRUSTED_PROXIES: {_exc}") from _exc

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Ninja's API docs from its own static files: its CDN page runs an inline script, which the CSP blocks.
    "ninja",
    "duecourse.core",
    "duecourse.people",
    "duecourse.groups",
    "duecourse.catalog",
    "duecourse.assignments",
    "duecourse.reports",
    "duecourse.notifications",
    "duecourse.certificates",
    "duecourse.policy",
    "duecourse.sso",
    "duecourse.scim",
    "duecourse.workspace",
    "duecourse.compat",
    "duecourse.scheduler",
    "duecourse.shell",
    "duecourse.bench",
    "axes",  # login throttling (docs/people.md "Passwords and sign-in")
]

MIDDLEWARE = [
    "duecourse.shell.middleware.ServerTimingMiddleware",  # first: the whole of the server's time
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "duecourse.shell.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "duecourse.shell.middleware.ActorMiddleware",
    "duecourse.shell.middleware.PersonLanguageMiddleware",  # the signed-in person's locale over the browser's
    "axes.middleware.AxesMiddleware",  # last, as its docs ask: turns a lockout into the login page's message
]

ROOT_URLCONF = "duecourse.config.urls"
WSGI_APPLICATION = "duecourse.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "duecourse.shell.context_processors.navigation",
            ],
        },
    },
]


def _database_from_url(url: str) -> dj_database_url.DBConfig:
    config = dj_database_url.parse(url, conn_max_age=0)
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    if "sqlite3" in engine:
        options.update(
            {
                # IMMEDIATE avoids "database is locked" on read-then-write upgrades between processes.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            }
        )
    elif "postgresql" in engine and _env_bool("DUECOURSE_DB_POOL", True):
        options["pool"] = {"min_size": 1, "max_size": int(os.environ.get("DUECOURSE_DB_POOL_SIZE", "10"))}
        # Pooled connections live long, so the hot reads (core.sql.TypedQuery) prepare their statements
        # on them; Django's own cursors bind on the client and never prepare. Without our pool (e.g. behind
        # PgBouncer in transaction mode) nothing is prepared.
        options["prepare_threshold"] = 5
    return config


DATABASE_URL = os.environ.get("DUECOURSE_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'duecourse.sqlite3'}"
DATABASES = {"default": _database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The password policy: every password a person, an operator or a reset sets passes these.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": people_limits.MIN_PASSWORD_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "duecourse.people.passwords.PersonAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out account or address before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "duecourse.people.authentication.EmailPasswordBackend",
]
PASSWORD_RESET_TIMEOUT = people_limits.PASSWORD_RESET_SECONDS
# Login throttling (django-axes, attempts stored in the database so every process sees them): an account
# (email + organisation) or a client address is refused for AXES_COOLOFF_TIME after too many failures.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each alone: per account, per address
AXES_FAILURE_LIMIT = people_limits.LOGIN_FAILURES_PER_ACCOUNT
AXES_HANDLER = "duecourse.people.throttle.LoginThrottleHandler"  # a higher limit per address
AXES_COOLOFF_TIME = timedelta(minutes=people_limits.LOGIN_COOLOFF_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a locked account unlocks on time, whatever is tried
AXES_USERNAME_CALLABLE = "duecourse.people.throttle.account_key"
AXES_CLIENT_IP_CALLABLE = "duecourse.core.clients.client_address"
AXES_LOCKOUT_CALLABLE = "duecourse.shell.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not logged row by row (the table would only grow)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = DEFAULT_LANGUAGE
LANGUAGES = list(SUPPORTED_LANGUAGES)  # each app keeps its translations in its own locale/ directory
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SERVED_OVER_HTTPS = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SERVED_OVER_HTTPS
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# An https install (docs/operations.md "Deploy checklist"): browsers remember to use https only (HSTS, a year
# by default). `duecourse serve` speaks plain http, so https always ends at a proxy in front. When that proxy
# says the client's scheme in X-Forwarded-Proto (DUECOURSE_PROXY_SSL_HEADER=1: only when it always sets it,
# overwriting the client's), a plain http request is redirected to https here; without it, every request
# looks like http to us and redirecting would loop, so the proxy redirects (DUECOURSE_SSL_REDIRECT forces
# either way).
SECURE_HSTS_SECONDS = _env_int("DUECOURSE_HSTS_SECONDS", 365 * 24 * 3600 if SERVED_OVER_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DUECOURSE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = _env_bool("DUECOURSE_HSTS_PRELOAD")
PROXY_SAYS_SCHEME = _env_bool("DUECOURSE_PROXY_SSL_HEADER")
if PROXY_SAYS_SCHEME:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("DUECOURSE_SSL_REDIRECT", SERVED_OVER_HTTPS and PROXY_SAYS_SCHEME)
SILENCED_SYSTEM_CHECKS = [
    # HSTS for every subdomain (W005) and on browsers' preload list (W021) bind the whole domain, which
    # this service does not own alone: the operator opts in (DUECOURSE_HSTS_INCLUDE_SUBDOMAINS, _PRELOAD).
    "security.W005",
    "security.W021",
]
if SERVED_OVER_HTTPS and not SECURE_SSL_REDIRECT:
    # The proxy in front redirects http to https itself (see above: without its X-Forwarded-Proto we cannot).
    SILENCED_SYSTEM_CHECKS.append("security.W008")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy: scripts and styles only from our own static files. No inline script,
# event handler, hx-on or style attribute anywhere; templates ask app.js for behaviour with data
# attributes. A page that truly needs an inline <script> gives it nonce="{{ request.csp_nonce }}"
# and adds csp.constants.NONCE to script-src with @csp_update on its view.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Uploads: people imports are the largest bodies we accept.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DUECOURSE_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE


def _email_settings(url: str | None) -> dict:
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(DATA_DIR / "emails"),
        }
    parsed = urlparse(url)
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    if parsed.scheme in {"console"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme in {"file"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path or str(DATA_DIR / "emails"),
        }
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(f"DUECOURSE_EMAIL_URL: unsupported scheme {parsed.scheme!r}")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": query.get("tls", "0") in {"1", "true"},
        "EMAIL_USE_SSL": parsed.scheme == "smtps" or query.get("ssl", "0") in {"1", "true"},
        "EMAIL_TIMEOUT": int(query.get("timeout", "30")),
    }


globals().update(_email_settings(os.environ.get("DUECOURSE_EMAIL_URL")))
DEFAULT_FROM_EMAIL = os.environ.get("DUECOURSE_FROM_EMAIL", "duecourse <no-reply@duecourse.local>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DUECOURSE_LOG_LEVEL", "INFO")},
    # fontTools logs every font subset of every certificate PDF at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

NINJA_PAGINATION_MAX_LIMIT = 500

# Single sign-on for a single-tenant install (docs/identity.md); tenants of a shared install set the same
# on their "Sign-in" settings page. The environment wins over the page for the fields it sets.
OIDC_ISSUER = os.environ.get("DUECOURSE_OIDC_ISSUER", "").strip()
OIDC_CLIENT_ID = os.environ.get("DUECOURSE_OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = os.environ.get("DUECOURSE_OIDC_CLIENT_SECRET", "")
OIDC_TENANT = os.environ.get("DUECOURSE_OIDC_TENANT", "").strip()
OIDC_SSO_ONLY = _env_bool("DUECOURSE_OIDC_SSO_ONLY")
# A provider set on a "Sign-in" page must be https to a public host. A provider on this machine (plain http
# allowed) only with DEBUG or this (the test settings set it); private ranges (10/8, 192.168/16, fc00::/7, …,
# never link-local) with DUECOURSE_OIDC_ALLOW_PRIVATE_ADDRESSES=1. The environment's provider is trusted.
OIDC_ALLOW_INSECURE_LOOPBACK = False
OIDC_ALLOW_PRIVATE_ADDRESSES = _env_bool("DUECOURSE_OIDC_ALLOW_PRIVATE_ADDRESSES")
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_TENANT):
    raise ImproperlyConfigured("DUECOURSE_OIDC_ISSUER needs DUECOURSE_OIDC_CLIENT_ID and DUECOURSE_OIDC_TENANT too")
