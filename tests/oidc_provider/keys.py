"""The provider's RSA signing key: one at a time; rotating replaces it, and the old one leaves the JWKS."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK, JWKSet


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


_retired: list[str] = []  # earlier keys: no longer published, but the provider still reads its own old tokens


def rotate() -> None:
    """Sign from now on with a new key (so a new `kid`); the JWKS then lists only the new key."""
    from django.conf import settings
    from oauth2_provider.settings import oauth2_settings

    _retired.append(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    pem = new_private_key_pem()
    settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = pem
    oauth2_settings.OIDC_RSA_PRIVATE_KEY = pem  # DOT caches settings on this object; it reads the key here


def current_kid() -> str:
    from oauth2_provider.settings import oauth2_settings
    from oauth2_provider.utils import jwk_from_pem

    return jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY).thumbprint()


def all_keys() -> JWKSet:
    """The current key and the retired ones, for reading an ID token the provider issued (an id_token_hint)."""
    from oauth2_provider.settings import oauth2_settings
    from oauth2_provider.utils import jwk_from_pem

    key_set = JWKSet()
    for pem in (oauth2_settings.OIDC_RSA_PRIVATE_KEY, *_retired):
        key = JWK()
        key.import_from_pem(pem.encode(), kid=jwk_from_pem(pem).thumbprint())  # tokens name their key by kid
        key_set.add(key)
    return key_set
