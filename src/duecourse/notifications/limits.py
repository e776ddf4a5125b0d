"""Numeric bounds on notification input, named once."""

MAX_MARK_READ_IDS = 1000  # notification ids in one "mark read" call
