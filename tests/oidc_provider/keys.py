"""The provider's RSA signing key: one at a time; rotating replaces it, and the old one leaves the JWKS."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def rotate() -> None:
    """Sign from now on with a new key (so a new `kid`); the JWKS then lists only the new key."""
    from django.conf import settings
    from oauth2_provider.settings import oauth2_settings

    pem = new_private_key_pem()
    settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = pem
    oauth2_settings.OIDC_RSA_PRIVATE_KEY = pem  # DOT caches settings on this object; it reads the key here


def current_kid() -> str:
    from oauth2_provider.settings import oauth2_settings
    from oauth2_provider.utils import jwk_from_pem

    return jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY).thumbprint()
