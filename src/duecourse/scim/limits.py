"""Bounds of the SCIM endpoint, named once (the ServiceProviderConfig publishes them)."""

MAX_RESULTS = 200  # resources in one page of a list; `count` above it is cut to it
DEFAULT_COUNT = 100
MAX_FILTER_LENGTH = 2000
MAX_FILTER_TERMS = 50  # comparisons joined by and / or in one filter
MAX_START_INDEX = 2**31  # a larger startIndex is past every list (and past what SQL takes as an offset)
MAX_LISTED_MEMBERS = 10_000  # members in one page of a group list; the page ends at the group that passes it
