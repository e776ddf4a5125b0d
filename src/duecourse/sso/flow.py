"""The sign-in flow around Authlib: which tenant a request means, starting the authorization code flow,
and turning the provider's answer into a person (`people.identities.oidc_sign_in`) or a clear refusal.

Everything the callback needs is kept in the session under the state Authlib made (`FRAMEWORK`):
redirect URI, PKCE verifier, nonce, the tenant and where to go next. Authlib removes that entry before
it exchanges the code, so a callback URL works once: submitted again it finds no state and is refused.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)

from duecourse.core.models import Tenant
from duecourse.people.identities import OidcClaims
from duecourse.people.sign_in import (
    CALLBACK_PATH,
    SSO_SESSION_KEY,
    SsoSettings,
    environment_tenant,
    sso_settings_for,
    tenants_for_sso_email,
)
from duecourse.sso.client import FRAMEWORK, LEEWAY_SECONDS, ProviderError, RelyingParty

log = logging.getLogger(__name__)

SESSION_KEY = SSO_SESSION_KEY  # {"tenant_id", "id_token"} of an SSO session, for logout


def callback_url() -> str:
    """The redirect URI to register at the provider: DUECOURSE_BASE_URL + /login/sso/callback/."""
    return settings.BASE_URL + CALLBACK_PATH


def post_logout_url() -> str:
    return settings.BASE_URL + "/login/"


def settings_for_request(*, email: str, tenant_name: str) -> SsoSettings | None:
    """The one tenant with single sign-on that this email (and/or organisation name) means; None when
    there is none or more than one (the caller shows the same neutral page for every such case)."""
    email, tenant_name = email.strip(), tenant_name.strip()
    if email:
        tenants = tenants_for_sso_email(email, tenant_name or None)
    elif tenant_name:
        tenants = list(Tenant.objects.filter(name__iexact=tenant_name)[:2])
    else:
        env_tenant = environment_tenant()
        tenants = [env_tenant] if env_tenant else []
    found = [sso for sso in (sso_settings_for(t) for t in tenants) if sso is not None]
    return found[0] if len(found) == 1 else None


def authorization_redirect(request: HttpRequest, sso: SsoSettings, *, email: str, next_url: str) -> str:
    """Start the authorization code flow (PKCE S256, state, nonce): remember them in the session and
    return the provider's authorization URL. Raises ProviderError when discovery fails."""
    party = RelyingParty(sso)
    extra = {"login_hint": email} if email else {}
    try:
        started = party.create_authorization_url(redirect_uri=callback_url(), **extra)
    except (requests.RequestException, AuthlibBaseError, RuntimeError) as exc:
        raise ProviderError(f"could not build the authorization URL: {exc}") from exc
    party.save_authorize_data(request, redirect_uri=callback_url(), tenant_id=sso.tenant_id, next=next_url, **started)
    return str(started["url"])


class Failure(StrEnum):
    """Why a callback was refused, as the page says it (the log has the technical detail); marked for
    translation, the page shows `gettext(failure.value)`."""

    STATE = gettext_noop(
        "This sign-in was already completed, has expired, or was started in another browser or tab. "
        "Start again from the sign-in page."
    )
    PROVIDER_REFUSED = gettext_noop("Your organisation's sign-in service did not sign you in")
    PROVIDER_UNREACHABLE = gettext_noop(
        "Your organisation's sign-in service could not be reached or answered something unexpected. "
        "Try again in a minute."
    )
    EXPIRED = gettext_noop(
        "The identity your organisation's sign-in service sent has expired (check the server clocks)."
    )
    SIGNATURE = gettext_noop("The identity your organisation's sign-in service sent is not signed by its keys.")
    AUDIENCE = gettext_noop("The identity your organisation's sign-in service sent is meant for another application.")
    ISSUER = gettext_noop(
        "The identity was issued by a different sign-in service than the one your organisation set up."
    )
    NONCE = gettext_noop("The identity does not belong to this sign-in attempt (its nonce does not match).")
    INVALID = gettext_noop("The identity your organisation's sign-in service sent is not valid.")
    NOT_CONFIGURED = gettext_noop("Single sign-on is no longer set up for your organisation.")


@dataclass(frozen=True)
class Completed:
    sso: SsoSettings
    claims: OidcClaims
    id_token: str
    next_url: str


class CallbackRefused(Exception):
    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(f"{failure.name}: {detail}")
        self.failure = failure
        self.detail = detail


def _failure_for(exc: Exception) -> Failure:
    if isinstance(exc, ExpiredTokenError):
        return Failure.EXPIRED
    if isinstance(exc, BadSignatureError | InvalidKeyIdError | UnsupportedAlgorithmError):
        return Failure.SIGNATURE
    if isinstance(exc, InvalidClaimError | MissingClaimError):
        claim = str(getattr(exc, "claim", "") or exc)
        for name, failure in (("aud", Failure.AUDIENCE), ("azp", Failure.AUDIENCE), ("iss", Failure.ISSUER)):
            if name in claim:
                return failure
        return Failure.NONCE if "nonce" in claim else Failure.INVALID
    if isinstance(exc, requests.RequestException | ProviderError):
        return Failure.PROVIDER_UNREACHABLE
    return Failure.INVALID


def complete(request: HttpRequest) -> Completed:
    """Finish the flow at the callback: check the state, exchange the code (with the PKCE verifier) and
    validate the ID token through Authlib. Raises CallbackRefused; changes nothing in the database."""
    state = request.GET.get("state", "")
    data = FRAMEWORK.get_state_data(request.session, state) if state else None
    if not data or not isinstance(data.get("tenant_id"), int):
        raise CallbackRefused(Failure.STATE, f"no sign-in in progress for state {state[:12]!r}")
    sso = sso_settings_for(data["tenant_id"])
    if sso is None:
        FRAMEWORK.clear_state_data(request.session, state)
        raise CallbackRefused(Failure.NOT_CONFIGURED, f"tenant {data['tenant_id']}")
    party = RelyingParty(sso)
    options = {
        "iss": {"essential": True, "value": sso.issuer},
        # Authlib checks `aud` only through `azp` unless told: the token must name us as its audience.
        "aud": {"essential": True, "value": sso.client_id},
        "sub": {"essential": True},
    }
    try:
        token = party.authorize_access_token(request, claims_options=options, leeway=LEEWAY_SECONDS)
    except AuthlibBaseError as exc:
        error = getattr(exc, "error", "") or exc.__class__.__name__
        if error == "mismatching_state":
            raise CallbackRefused(Failure.STATE, str(exc)) from exc
        description = getattr(exc, "description", "") or ""
        raise CallbackRefused(Failure.PROVIDER_REFUSED, f"{error}: {description}".strip(": ")) from exc
    except (JoseError, requests.RequestException, ProviderError, ValueError, KeyError, TypeError) as exc:
        raise CallbackRefused(_failure_for(exc), f"{exc.__class__.__name__}: {exc}") from exc
    finally:
        FRAMEWORK.clear_state_data(request.session, state)
    userinfo = token.get("userinfo")
    if not userinfo or not isinstance(token.get("id_token"), str):
        raise CallbackRefused(Failure.INVALID, "the token response has no ID token")
    return Completed(
        sso=sso,
        claims=mapped_claims(userinfo, sso),
        id_token=token["id_token"],
        next_url=str(data.get("next") or ""),
    )


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def _verified(value: object) -> bool | None:
    """`email_verified` as sent: a boolean, or (some providers) the strings "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def mapped_claims(claims: dict[str, Any], sso: SsoSettings) -> OidcClaims:
    """The validated ID token's claims through the tenant's claim names (pure)."""
    name = _text(claims, sso.claim_name) or " ".join(
        part for part in (_text(claims, "given_name"), _text(claims, "family_name")) if part
    )
    return OidcClaims(
        issuer=sso.issuer,
        subject=_text(claims, "sub"),
        email=_text(claims, "email"),
        email_verified=_verified(claims.get("email_verified")),
        name=name,
        department=_text(claims, sso.claim_department),
        manager_email=_text(claims, sso.claim_manager_email),
    )


def end_session_url(sso: SsoSettings, id_token: str) -> str | None:
    """RP-initiated logout at the provider, when it has an end_session_endpoint; None otherwise."""
    party = RelyingParty(sso)
    try:
        if not party.load_server_metadata().get("end_session_endpoint"):
            return None
        result = party.create_logout_url(
            post_logout_redirect_uri=post_logout_url(), id_token_hint=id_token, client_id=sso.client_id
        )
    except (ProviderError, requests.RequestException, AuthlibBaseError, RuntimeError) as exc:
        log.warning("sso: no provider logout for tenant %s: %s", sso.tenant_id, exc)
        return None
    return str(result["url"])


def end_session_after_logout(request: HttpRequest) -> str | None:
    """Before the local session ends: where to send the browser to end the provider's session too (its
    end_session_endpoint with id_token_hint and post_logout_redirect_uri), if this was an SSO session."""
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("tenant_id"), int):
        return None
    sso = sso_settings_for(held["tenant_id"])
    if sso is None or not isinstance(held.get("id_token"), str):
        return None
    return end_session_url(sso, held["id_token"])
