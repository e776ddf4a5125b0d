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
