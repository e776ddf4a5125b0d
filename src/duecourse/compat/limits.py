"""Bounds of the Frappe LMS compatibility methods."""

# Emails in one assign_mandatory_training call: one indexed look-up of this many addresses stays well inside
# SQLite's bound parameters; a bigger roll-out is several calls, or the bulk API (`POST /api/v1/assignments/bulk`).
MAX_EMPLOYEES = 10_000
MAX_CODE_LENGTH = 64  # catalog.Course.code
MAX_EMAIL_LENGTH = 254
