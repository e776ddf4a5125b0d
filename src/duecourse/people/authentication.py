"""Who is asking: web sessions (email + password) and API bearer tokens both resolve to a Person."""

from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from duecourse.core.api import ActorRequest
from duecourse.people.models import Person
from duecourse.people.passwords import hash_once_for_nothing
from duecourse.people.sign_in import password_sign_in_refused
from duecourse.people.token_format import token_from_authorization

# The backend a session records for a person signed in by password, single sign-on or an invitation (the
# session's user is loaded through it on every request).
SESSION_BACKEND = "duecourse.people.authentication.EmailPasswordBackend"


def login_account(email: str, tenant_name: str | None) -> Person | None:
    """The one active person a login (or a password reset) for this email is about: the one in the named
    organisation, or the only one with that email when none is named. None when there is no such person,
    or several and no organisation (the organisation decides)."""
    people = Person.objects.filter(email=(email or "").strip().lower(), active=True)
    if tenant_name and tenant_name.strip():
        people = people.filter(tenant__name__iexact=tenant_name.strip())
    found = list(people.select_related("user", "tenant")[:2])
    return found[0] if len(found) == 1 else None


def password_refused_for(email: str, tenant_name: str | None) -> bool:
    """Whether this login's account belongs to a tenant that signs in by SSO only (no passwords)."""
    return password_sign_in_refused(login_account(email, tenant_name))


class EmailPasswordBackend(ModelBackend):
    """Log in with a person's email and password; the organisation decides when the email is in several.

    Every attempt costs exactly one password hash, so its time tells nothing: a wrong password is hashed
    against the account's, and an unknown email, a person with no password or one whose organisation
    signs in by SSO only (`people.sign_in`) against nothing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        tenant: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = (email or username or "").strip().lower()
        if not email or not password:
            return None
        person = login_account(email, tenant)
        user = person.user if person is not None else None
        if user is None or not user.has_usable_password() or password_sign_in_refused(person):
            hash_once_for_nothing(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def actor_for_user(user) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    person = Person.objects.filter(user_id=user.pk, active=True).first()
    return person


def authorization_person(header: str) -> Person | None:
    """The active person an `Authorization` header stands for, in any form `token_format` accepts
    (a bearer token or a Frappe key pair), or None."""
    from duecourse.people.services import api_token_authenticate

    token = token_from_authorization(header)
    return api_token_authenticate(token) if token is not None else None


class BearerToken(HttpBearer):
    """API authentication: `Authorization: Bearer <token>`; sets `request.actor`."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        from duecourse.people.services import api_token_authenticate

        person = api_token_authenticate(token)
        if person is not None:
            cast(ActorRequest, request).actor = person
        return person


def _session_may_vouch(request: HttpRequest) -> bool:
    """A web session speaks for an API call that carries no Authorization header of its own."""
    return "HTTP_AUTHORIZATION" not in request.META and getattr(request.user, "is_authenticated", False)


class SessionActor(SessionAuth):
    """Lets the browsable API docs and the htmx UI call the API with the web session (CSRF-checked).

    Only a signed-in session is CSRF-checked: a call with an `Authorization` header (a bad or expired token)
    or with no session at all has nothing for a session to vouch for, so it ends as 401, not "CSRF check
    failed" (403)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not _session_may_vouch(request):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        if not _session_may_vouch(request):
            return None
        person = actor_for_user(getattr(request, "user", None))
        if person is not None:
            cast(ActorRequest, request).actor = person
        return person
