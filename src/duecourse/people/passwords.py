"""The password policy's person-aware rule, reset links, and the one password hash every login costs."""

from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ObjectDoesNotExist

from duecourse.people.models import Person


def _person_of(user: Any) -> Any:
    """The Person behind a Django user (the auth user carries no name), or whatever was given."""
    if user is None or isinstance(user, Person):
        return user
    try:
        return user.person
    except (AttributeError, ObjectDoesNotExist):
        return user


class PersonAttributeSimilarityValidator(UserAttributeSimilarityValidator):
    """Django's similarity rule, compared with the person's name and email (each whole and in parts).

    `validate_password(password, user)` may pass a Person or a Django user linked to one."""

    def __init__(self, user_attributes=("name", "email"), max_similarity: float = 0.7):
        super().__init__(user_attributes=user_attributes, max_similarity=max_similarity)

    def validate(self, password, user=None):
        super().validate(password, _person_of(user))

    def get_help_text(self):
        return "Your password can’t be too similar to your name or email."


class PasswordResetTokens(PasswordResetTokenGenerator):
    """Reset links: valid PASSWORD_RESET_TIMEOUT (an hour), and once, since the token hashes the current
    password and last login (both change when the link is used)."""

    key_salt = "duecourse.people.passwords.PasswordResetTokens"


reset_tokens = PasswordResetTokens()


def hash_once_for_nothing(password: str) -> None:
    """Run the password hasher once with no account to check, so a login for an unknown email, or for a
    person with no password, costs the same as a wrong password (one hash)."""
    make_password(password)


RESET_LINK_INVALID = (
    "This reset link has expired or was already used. Ask for a new one on the sign-in page (Forgot password?)."
)
