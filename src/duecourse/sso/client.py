"""The OpenID Connect relying party: Authlib's Django client for one tenant's provider.

Authlib does the protocol: the authorization URL with state, nonce and PKCE (S256), the code exchange,
and the ID token's validation (`parse_id_token`: signature against the provider's JWKS, issuer,
audience, expiry, nonce). We add only the caching that lets many requests share one discovery document
and key set per provider and process:

- discovery is fetched once per issuer and kept `DISCOVERY_TTL` seconds;
- the key set is kept until a token names a key it does not hold. Authlib then asks for the set again
  (`fetch_jwk_set(force=True)`, exactly once per token): a provider that rotates its keys is followed
  without a restart, and a token whose key still is not there is refused.
"""

import logging
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App

from duecourse.people.identities import address_refusal, provider_url_refusal
from duecourse.people.sign_in import SsoSettings

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
DISCOVERY_TTL = 3600.0
HTTP_TIMEOUT = 10  # seconds for discovery, keys and the token exchange
# Clock skew tolerated on exp/iat. Authlib's default is 120 s; a minute is plenty between servers with NTP.
LEEWAY_SECONDS = 60
FRAMEWORK = DjangoIntegration("duecourse_sso")  # session keys "_state_duecourse_sso_<state>"
REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable; the message is for an admin."""


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def guard_url(url: str, what: str) -> None:
    """Refuse (ProviderError) a provider URL an admin's settings must not make duecourse call: not https
    to a public host (`people.identities.provider_url_refusal`), or a host name that resolves to this
    machine, a link-local or a private address (`address_refusal`)."""
    refusal = provider_url_refusal(url)
    host = urlsplit(url).hostname or ""
    if refusal is None:
        try:
            addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except (OSError, UnicodeError):
            addresses = set()  # unresolvable: the request itself fails and says so
        refusal = next((r for r in map(address_refusal, sorted(addresses)) if r), None)
    if refusal:
        raise ProviderError(f"the {what} {url} {refusal}")


def _get_json(url: str, what: str, *, guarded: bool = True) -> dict[str, Any]:
    if guarded:
        guard_url(url, what)
    try:
        # No redirects: a public URL must not bounce duecourse to an address the guard refuses.
        response = requests.get(
            url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"}, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise ProviderError(f"could not fetch the {what} from {url}: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise ProviderError(f"the {what} at {url} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise ProviderError(f"the {what} at {url} is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError(f"the {what} at {url} is not a JSON object")
    return body


def fetch_discovery(issuer: str, *, guarded: bool = True) -> dict[str, Any]:
    """The provider's discovery document, checked: it names this very issuer and the endpoints we use,
    and (guarded: an admin's settings rather than the operator's environment) every endpoint is https to
    a public host, as the issuer must be."""
    metadata = _get_json(discovery_url(issuer), "discovery document", guarded=guarded)
    if metadata.get("issuer") != issuer:
        raise ProviderError(
            f"the discovery document names the issuer {metadata.get('issuer')!r}, not {issuer!r}: "
            "copy the issuer exactly as the provider shows it"
        )
    missing = [name for name in REQUIRED_METADATA if not isinstance(metadata.get(name), str)]
    if missing:
        raise ProviderError(f"the discovery document lacks {', '.join(missing)}")
    if guarded:
        for name in (*REQUIRED_METADATA, "end_session_endpoint"):
            if isinstance(metadata.get(name), str):
                guard_url(metadata[name], f"discovery document's {name}")
    return metadata


class _ProviderCache:
    """Discovery documents and key sets per issuer, shared by the threads of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metadata: dict[tuple[str, bool], tuple[float, dict[str, Any]]] = {}
        self._keys: dict[tuple[str, bool], dict[str, Any]] = {}

    def metadata(self, issuer: str, *, guarded: bool = True) -> dict[str, Any]:
        key = (issuer, guarded)
        with self._lock:
            cached = self._metadata.get(key)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL:
            return cached[1]
        metadata = fetch_discovery(issuer, guarded=guarded)
        with self._lock:
            self._metadata[key] = (time.monotonic(), metadata)
        return metadata

    def keys(self, issuer: str, *, force: bool, guarded: bool = True) -> dict[str, Any]:
        key = (issuer, guarded)
        with self._lock:
            cached = self._keys.get(key)
        if cached is not None and not force:
            return cached
        jwks = _get_json(self.metadata(issuer, guarded=guarded)["jwks_uri"], "key set (JWKS)", guarded=guarded)
        if not isinstance(jwks.get("keys"), list):
            raise ProviderError("the key set (JWKS) has no keys")
        log.info("sso: fetched the key set of %s (%s)", issuer, "refresh for an unknown key" if force else "first use")
        with self._lock:
            self._keys[key] = jwks
        return jwks

    def clear(self) -> None:
        with self._lock:
            self._metadata.clear()
            self._keys.clear()


providers = _ProviderCache()


class RelyingParty(DjangoOAuth2App):
    """Authlib's Django OAuth 2 / OpenID Connect client for one tenant, its discovery and keys cached."""

    def __init__(self, sso: SsoSettings) -> None:
        super().__init__(
            FRAMEWORK,
            name="duecourse_sso",
            client_id=sso.client_id,
            client_secret=sso.client_secret,
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT},
        )
        self.issuer = sso.issuer
        # The operator's environment is trusted to name a provider on the private network; an admin's page is not.
        self.guarded = "issuer" not in sso.from_environment

    def load_server_metadata(self) -> dict[str, Any]:
        return providers.metadata(self.issuer, guarded=self.guarded)

    def fetch_jwk_set(self, force: bool = False) -> dict[str, Any]:
        return providers.keys(self.issuer, force=force, guarded=self.guarded)


def check_connection(issuer: str, *, guarded: bool = True) -> dict[str, Any]:
    """What an admin's "Check connection" shows: discovery fetched afresh, and the keys it points to."""
    metadata = fetch_discovery(issuer, guarded=guarded)
    jwks = _get_json(metadata["jwks_uri"], "key set (JWKS)", guarded=guarded)
    listed = jwks.get("keys")
    keys: list[Any] = listed if isinstance(listed, list) else []
    return {
        "issuer": metadata["issuer"],
        "authorization_endpoint": metadata["authorization_endpoint"],
        "token_endpoint": metadata["token_endpoint"],
        "jwks_uri": metadata["jwks_uri"],
        "end_session_endpoint": metadata.get("end_session_endpoint") or "",
        "signing_algorithms": ", ".join(metadata.get("id_token_signing_alg_values_supported") or []),
        "pkce": "S256" in (metadata.get("code_challenge_methods_supported") or []),
        "key_count": len(keys),
    }
