"""Every numeric bound on assignment input, named once: the services check them, the API schemas
(`Field(le=...)`) and the forms repeat them from here so a client learns them before the service says no."""

import datetime as dt

MAX_NOTE_LENGTH = 5000
MAX_REASON_LENGTH = 5000
MAX_RULE_NAME_LENGTH = 200
MAX_TEMPLATE_NAME_LENGTH = 100  # a reminder rule's notification template name
MAX_FILTER_TEXT_LENGTH = 200  # free text in a list filter (a department name)

EARLIEST_DUE_DATE = dt.date(1970, 1, 1)
LATEST_DUE_DATE = dt.date(2200, 12, 31)
MAX_DUE_DAYS = 3650  # due N days after assignment or hire date: at most ten years
MAX_RECURRENCE_WEEKS = 520
MAX_VALIDITY_MONTHS = 600
MAX_RECERT_WINDOW_DAYS = 365  # a recertification re-opens at most a year before the completion expires
DEFAULT_RECERT_WINDOW_DAYS = 30  # the tenant default (a tenant setting may change it)

MAX_REMINDER_DAYS = 365  # a reminder rule fires at most a year before or after the due date
MAX_REMINDER_RULES = 20

MAX_TARGETS = 50  # targets in one bulk call
MAX_RULE_ITEMS = 50
MAX_ASSIGNEE_IDS = 200_000  # person ids in one bulk call or rule audience
MAX_AUDIENCE_ENTRIES = 1000  # groups, departments, sites or regions in one audience
MAX_ASSIGNEE_EMAILS = 10_000  # email addresses in one bulk call (a pasted list)
BULK_ROWS_SHOWN = 1000  # failed and preview rows a bulk answer lists; its counts and CSV give them all

FULL_PROGRESS = 100  # progress is a percentage

DEFAULT_OVERLOAD_MINUTES_30D = 600  # a tenant setting may change it
WORKLOAD_WINDOW_DAYS = 30
REMIND_AGAIN_AFTER = dt.timedelta(hours=24)  # a reminder sent by hand: the next one after a rolling 24 hours
