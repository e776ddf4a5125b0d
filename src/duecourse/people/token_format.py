"""How an API token is written, and every form a request may carry it in: the one home for parsing them.

A token is `dc_<prefix>_<secret>`: the prefix finds its row, the secret is checked against a hash. Frappe-style
clients send a key pair instead; it is the same token split at its second underscore:

    api_key    = dc_<prefix>     (not secret: the token list shows it)
    api_secret = <secret>        (shown once, with the token, when it is created)

Accepted `Authorization` headers: `Bearer dc_<prefix>_<secret>`, Frappe's `token <api_key>:<api_secret>` and
`Basic base64(<api_key>:<api_secret>)` (Frappe's other form). No database here.
"""

import base64
import binascii
from typing import NamedTuple

TOKEN_PREFIX = "dc"  # noqa: S105 - a fixed marker, not a secret


class KeyPair(NamedTuple):
    api_key: str
    api_secret: str


def compose(prefix: str, secret: str) -> str:
    """The plain token for a row's prefix and its secret."""
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_key_of(prefix: str) -> str:
    """The api_key half of the token whose row has this prefix."""
    return f"{TOKEN_PREFIX}_{prefix}"


def split_token(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a plain token, or None when it is not one of ours."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def key_pair(token: str) -> KeyPair | None:
    """The token as Frappe's (api_key, api_secret), or None when it is not one of ours."""
    parts = split_token(token)
    if parts is None:
        return None
    prefix, secret = parts
    return KeyPair(api_key_of(prefix), secret)


def _token_of_pair(credentials: str) -> str | None:
    api_key, sep, api_secret = credentials.partition(":")
    if not sep or split_token(f"{api_key}_{api_secret}") is None or api_key.count("_") != 1:
        return None
    return f"{api_key}_{api_secret}"


def token_from_authorization(header: str) -> str | None:
    """The plain token an `Authorization` header carries in any accepted form, or None (absent or malformed)."""
    scheme, _, credentials = header.strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if not credentials:
        return None
    if scheme == "bearer":
        return credentials if split_token(credentials) is not None else None
    if scheme == "token":
        return _token_of_pair(credentials)
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return _token_of_pair(decoded)
    return None
