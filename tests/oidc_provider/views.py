"""The provider's own pages (sign-in form, home, RP-initiated logout for loopback relying parties) and the
test-only control endpoints under /test/, which need the control secret of the process environment."""

import hmac
import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.exceptions import InvalidOIDCClientError, InvalidOIDCRedirectURIError
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken
from oauth2_provider.views import RPInitiatedLogoutView

from oidc_provider import keys, misbehaviour
from oidc_provider.models import Profile

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def home(request):
    return render(request, "oidc_provider/home.html")


class LoopbackLogoutView(RPInitiatedLogoutView):
    """RP-initiated logout (end_session_endpoint) that returns to any http://127.0.0.1 address of the client's."""

    def validate_post_logout_redirect_uri(self, application, post_logout_redirect_uri):
        if not post_logout_redirect_uri:
            return
        if not application:
            raise InvalidOIDCClientError()
        address = urlsplit(post_logout_redirect_uri)
        if address.scheme != "http" or address.hostname not in LOOPBACK_HOSTS:
            raise InvalidOIDCRedirectURIError("Only http://127.0.0.1 addresses are allowed after logout here.")


# Test-only control endpoints -----------------------------------------------------------------------------------


class BadRequest(Exception):
    pass


def control(view):
    """POST with JSON and `Authorization: Bearer <control secret>`; answers JSON, 400 with {"error"} on bad input."""

    @csrf_exempt
    @require_POST
    def wrapper(request):
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(supplied.encode(), settings.CONTROL_SECRET.encode()):
            return JsonResponse({"error": "the control secret is missing or wrong"}, status=403)
        try:
            payload = json.loads(request.body or b"{}")
            if not isinstance(payload, dict):
                raise BadRequest("send a JSON object")
            return JsonResponse(view(payload))
        except (BadRequest, ValueError) as error:
            return JsonResponse({"error": str(error)}, status=400)

    return wrapper


def _text(payload, field, *, required=False):
    value = payload.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{field}: a {'non-empty ' if required else ''}string is required")
    return value.strip()


@control
def create_client(payload):
    redirect_uri = _text(payload, "redirect_uri", required=True)
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        raise BadRequest("redirect_uri: an http(s) address is required")
    secret = generate_client_secret()
    application = Application.objects.create(
        name=_text(payload, "name") or "duecourse",
        client_id=generate_client_id(),
        client_secret=secret,  # stored hashed; this is the only time it is known in clear
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,  # no consent screen
    )
    return {"client_id": application.client_id, "client_secret": secret}


@control
def create_user(payload):
    email = _text(payload, "email", required=True).lower()
    password = _text(payload, "password", required=True)
    email_verified = payload.get("email_verified", True)
    if not isinstance(email_verified, bool):
        raise BadRequest("email_verified: true or false")
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=email, email=email, password=password)
            profile = Profile.objects.create(
                user=user,
                subject=uuid.uuid4().hex,
                email_verified=email_verified,
                **{
                    field: _text(payload, field)
                    for field in ("name", "given_name", "family_name", "department", "manager_email")
                },
            )
    except IntegrityError:
        raise BadRequest(f"email: {email} is already a user of this provider") from None
    return {"sub": profile.subject}


@control
def misbehave(payload):
    misbehaviour.set_mode(payload.get("mode"))
    return {"mode": misbehaviour.current_mode()}


@control
def rotate(payload):
    keys.rotate()
    return {"kid": keys.current_kid()}


@control
def reset(payload):
    with transaction.atomic():
        for model in (IDToken, RefreshToken, AccessToken, Grant, Application, Session, Profile, User):
            model.objects.all().delete()
    misbehaviour.set_mode(None)
    return {"kid": keys.current_kid()}
