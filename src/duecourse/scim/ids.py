"""The one reading of a SCIM id: duecourse's ids are ASCII decimal numbers (a person or group primary key)."""

import re

_SCIM_ID = re.compile(r"[0-9]{1,18}")


def parse_scim_id(value: object) -> int | None:
    """The number a SCIM id names, or None when it names none. Only ASCII digits, at most 18 (below 2**63):
    `str.isdigit` also takes "²" (which `int` refuses) and Arabic-Indic "١" (which `int` reads as 1)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    match = _SCIM_ID.fullmatch(str(value))
    return int(match.group()) if match else None
