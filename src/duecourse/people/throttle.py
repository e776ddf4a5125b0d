"""Login throttling (django-axes): failures count per account (email + organisation) and per client
address, in the database so every process sees them. Settings in `config/settings.py` (AXES_*)."""

import math
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum

from duecourse.core import clock
from duecourse.people.authentication import login_account
from duecourse.people.limits import LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS
from duecourse.people.models import Person

LOCKED_MESSAGE = "Too many failed attempts; try again in {minutes} or ask an administrator."


def person_account_key(person: Person) -> str:
    """What the account throttle counts a person's failed logins by."""
    return f"{person.email} (organisation {person.tenant_id})"


def account_key(request: Any, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account a login attempt is for. The email with the organisation the
    login resolves to (named or not, one account has one key), else the email and organisation typed."""
    credentials = credentials or {}
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    if not email:
        return None
    tenant = str(credentials.get("tenant") or "").strip()
    cache = request.__dict__.setdefault("_account_keys", {}) if request is not None else {}
    if (email, tenant) not in cache:
        person = login_account(email, tenant)
        cache[(email, tenant)] = person_account_key(person) if person else f"{email} (organisation {tenant!r})"
    return cache[(email, tenant)]


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own per address: axes compares one count with
    AXES_FAILURE_LIMIT (the per-account limit), so the address count is scaled to it (floor, so the
    address is locked exactly at LOGIN_FAILURES_PER_ADDRESS)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_account, by_address = self.get_user_attempts(request, credentials)  # AXES_LOCKOUT_PARAMETERS order
        address = _failures(by_address) * LOGIN_FAILURES_PER_ACCOUNT // LOGIN_FAILURES_PER_ADDRESS
        return max(_failures(by_account), address)


def minutes_left(request: Any, credentials: dict | None) -> int:
    """Whole minutes until this attempt's account or address is no longer locked (at least 1)."""
    now = clock.now()
    since = now - settings.AXES_COOLOFF_TIME
    matching = Q(username=account_key(request, credentials)) | Q(ip_address=getattr(request, "axes_ip_address", None))
    latest = (
        AccessAttempt.objects.filter(matching, attempt_time__gte=since)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return 1
    return max(1, math.ceil((latest + settings.AXES_COOLOFF_TIME - now).total_seconds() / 60))


def locked_message(minutes: int) -> str:
    return LOCKED_MESSAGE.format(minutes="1 minute" if minutes == 1 else f"{minutes} minutes")


def person_sign_in_locked(person: Person) -> bool:
    """Whether this person's account is locked now by failed logins (their address aside)."""
    since = clock.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=person_account_key(person), attempt_time__gte=since)
    return _failures(attempts) >= LOGIN_FAILURES_PER_ACCOUNT


def person_sign_in_unlock(person: Person) -> int:
    """Forget the person's failed logins (the account lock); returns how many attempt records went."""
    deleted, _ = AccessAttempt.objects.filter(username=person_account_key(person)).delete()
    return deleted


def forget_account_failures(request: Any, credentials: dict) -> None:
    """After a successful login: the account's failures are forgotten (the address's are not, so one
    good account cannot wipe the count of an address that guesses others)."""
    AccessAttempt.objects.filter(username=account_key(request, credentials)).delete()
