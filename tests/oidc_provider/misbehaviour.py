"""Defects the provider can put into the ID tokens it issues, one at a time, to prove a relying party rejects them.

The provider runs as one process, so this module-level state is what every request thread sees.
"""

import base64
import json
import secrets
import time

from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

MODES = ("wrong_audience", "expired", "tampered_signature", "wrong_nonce", "wrong_issuer", "unsigned")

_mode: str | None = None


def set_mode(mode: str | None) -> None:
    global _mode
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)} or null")
    _mode = mode


def current_mode() -> str | None:
    return _mode


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def spoil(serialized: str, mode: str) -> str:
    """The same ID token with exactly one defect: its claims changed and re-signed with the provider's key, or
    its signature altered, or no signature at all."""
    header_part, payload_part, signature_part = serialized.split(".")
    header, claims = json.loads(_unb64(header_part)), json.loads(_unb64(payload_part))
    if mode == "tampered_signature":
        signature = bytearray(_unb64(signature_part))
        signature[len(signature) // 2] ^= 0xFF
        return f"{header_part}.{payload_part}.{_b64(bytes(signature))}"
    if mode == "unsigned":
        unsigned_header = {"typ": "JWT", "alg": "none"}
        return f"{_b64(json.dumps(unsigned_header).encode())}.{payload_part}."
    if mode == "wrong_audience":
        claims["aud"] = "some-other-client"
    elif mode == "expired":
        now = int(time.time())
        claims.update(iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
    elif mode == "wrong_nonce":
        claims["nonce"] = "not-your-nonce-" + secrets.token_urlsafe(8)
    elif mode == "wrong_issuer":
        claims["iss"] = "http://impostor.invalid/o"
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY))
    return token.serialize()
