"""Email addresses pasted as a list (the bulk wizard's paste box): one a line, or separated by commas or
semicolons; `Name <address>` as mail programs copy it gives the address. Pure: the form splits the text
here, and the bulk service checks and resolves each address (`services.audience_parts`)."""

import re

SEPARATORS = re.compile(r"[\n\r,;]+")
ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


def split_email_list(text: str) -> list[str]:
    """The addresses in a pasted list, in order, each once (compared case-insensitively), blanks dropped."""
    seen: dict[str, str] = {}
    for piece in SEPARATORS.split(text or ""):
        entry = piece.strip()
        named = ANGLE_ADDRESS.search(entry)
        address = (named.group(1) if named else entry).strip().strip("\"'").strip()
        if address:
            seen.setdefault(address.casefold(), address)
    return list(seen.values())
