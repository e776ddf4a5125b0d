"""Secrets duecourse must read back (an OpenID Connect client secret) are stored sealed: Fernet
(AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key derived from SECRET_KEY.

Rotating SECRET_KEY: put the old key into DUECOURSE_SECRET_KEY_FALLBACKS (comma-separated, newest
first) and the new one into DUECOURSE_SECRET_KEY. Sealed values still open with a fallback key, and
`reseal` re-seals under the new key (the sign-in settings page does it on every save, and
`sso_settings_for` whenever it opens a secret sealed under an old key), so the fallback can be dropped
once every tenant has signed in or saved once. A value sealed under a key that is no longer configured
opens as nothing: the admin enters the client secret again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

KEY_SALT = "duecourse.people.secret_box"


def _fernet(secret_key: str) -> Fernet:
    digest = salted_hmac(KEY_SALT, "fernet-key", secret=secret_key, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _box() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in keys])


def seal(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode() if plain else ""


def open_sealed(sealed: str) -> str | None:
    """The plain text, "" for nothing stored, None when no configured key opens it."""
    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def sealed_with_current_key(sealed: str) -> bool:
    try:
        _fernet(settings.SECRET_KEY).decrypt(sealed.encode())
    except (InvalidToken, ValueError):
        return False
    return True


def reseal(sealed: str) -> str:
    """The same secret sealed under the current key (unchanged when no configured key opens it)."""
    try:
        return _box().rotate(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return sealed
