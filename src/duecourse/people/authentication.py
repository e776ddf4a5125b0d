"""Who is asking: web sessions (email + password) and API bearer tokens both resolve to a Person."""

from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from duecourse.core.api import ActorRequest
from duecourse.people.models import Person


class EmailPasswordBackend(ModelBackend):
    """Log in with a person's email and password; the tenant disambiguates a shared email."""

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
        people = Person.objects.filter(email=email, active=True, user__isnull=False).select_related("user", "tenant")
        if tenant:
            people = people.filter(tenant__name=tenant)
        for person in people[:20]:
            user = person.user
            if user is not None and user.check_password(password) and self.user_can_authenticate(user):
                return user
        # Run the hasher once anyway so a missing account costs the same time as a wrong password.
        from django.contrib.auth import get_user_model

        get_user_model()().set_password(password)
        return None


def actor_for_user(user) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    person = Person.objects.filter(user_id=user.pk, active=True).first()
    return person


class BearerToken(HttpBearer):
    """API authentication: `Authorization: Bearer <token>`; sets `request.actor`."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        from duecourse.people.services import api_token_authenticate

        person = api_token_authenticate(token)
        if person is not None:
            cast(ActorRequest, request).actor = person
        return person


class SessionActor(SessionAuth):
    """Lets the browsable API docs and the htmx UI call the API with the web session (CSRF-checked)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        person = actor_for_user(getattr(request, "user", None))
        if person is not None:
            cast(ActorRequest, request).actor = person
        return person
