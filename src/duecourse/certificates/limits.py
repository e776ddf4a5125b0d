"""Every numeric bound of certificates, named once (services check them; schemas and forms repeat them)."""

MAX_REVOKE_REASON_LENGTH = 2000
MAX_SEARCH_LENGTH = 200  # the person search on the certificates page

# Issuing in the transaction of an event (a completion, a membership change, a rule saved) stops
# after this many certificates; the rest are left to the worker (`sweeps.certificates_sweep`), which
# issues them in batches. Keeps a save that makes thousands of people eligible as fast as any save.
INLINE_ISSUE_LIMIT = 200
SWEEP_BATCH = 500  # certificates issued or expired per worker transaction
SWEEP_BUDGET_SECONDS = 20.0  # a big backlog yields to the tick's other steps

# The public verification page: requests per client address per minute.
VERIFY_REQUESTS_PER_MINUTE = 30

# The logo printed on certificates (an upload on the settings page).
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4000  # width or height
LOGO_FORMATS = ("PNG", "JPEG")
