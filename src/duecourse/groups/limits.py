"""Every numeric bound on group input, named once: the services and dynamic rules check them, the API
schemas and forms repeat them."""

MAX_NAME_LENGTH = 200
MAX_EXTERNAL_ID_LENGTH = 200  # the identity provider's id of a provisioned group
MAX_DESCRIPTION_LENGTH = 5000
MAX_RULE_CONDITIONS = 50
MAX_RULE_VALUES = 1000  # values in one "is one of" condition
MAX_RULE_TEXT_LENGTH = 200  # one value of a dynamic rule condition
MAX_SEARCH_LENGTH = 200
