"""Every numeric bound on people input, named once: the services and import check them, the API schemas
and forms repeat them."""

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit for a forward path
MAX_NAME_LENGTH = 200
MAX_EXTERNAL_ID_LENGTH = 100
MAX_ORG_UNIT_NAME_LENGTH = 200  # department, site, region
MAX_JOB_TITLE_LENGTH = 200
MAX_TIMEZONE_LENGTH = 64
MAX_LOCALE_LENGTH = 16
MAX_TOKEN_NAME_LENGTH = 100
MAX_IMPORT_ROWS = 200_000
MAX_IMPORT_FILE_BYTES = 50 * 1024 * 1024  # a web upload; 200,000 rows of a wide directory fit
IMPORT_PREVIEW_FAILURES = 200  # failures shown on the import's pages; the CSV has them all
MAX_SEARCH_LENGTH = 200
INVITATION_VALID_DAYS = 7  # an invitation link works once, for this many days
INVITE_BATCH = 2000  # people invited per transaction (a few statements each, whatever the batch's size)

# Passwords and sign-in (docs/people.md "Passwords and sign-in")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 4096  # longer input is refused before it reaches the hasher
PASSWORD_RESET_SECONDS = 60 * 60  # a reset link is valid one hour (and once: it hashes the password)
LOGIN_FAILURES_PER_ACCOUNT = 5  # failed logins for one email + organisation before it is locked
LOGIN_FAILURES_PER_ADDRESS = 20  # failed logins from one client address (an office shares one)
LOGIN_COOLOFF_MINUTES = 15  # a lockout ends this long after the last failure counted

# Single sign-on (people/sign_in.py, docs/identity.md)
MAX_ISSUER_LENGTH = 500
MAX_CLIENT_ID_LENGTH = 255
MAX_CLIENT_SECRET_LENGTH = 2000
MAX_SUBJECT_LENGTH = 255  # OpenID Connect Core 2: "MUST NOT exceed 255 ASCII characters"
MAX_CLAIM_NAME_LENGTH = 100
MAX_ALLOWED_DOMAINS = 50
