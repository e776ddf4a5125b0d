"""Pure rules of certificates: when one is valid, why one stopped being valid, numbers, codes. No database.

`selectors.valid_filter` / `invalid_filter` are the SQL forms of `is_valid` (held to it by a test).
"""

import datetime as dt
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class CertificateStatus(TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("No longer valid")


# Words for people, translated where they are shown (lazy): never stored or handed to the API as they are.
STATUS_LABELS: dict[str, Promise] = {status.value: status.label for status in CertificateStatus}


class InvalidReason(TextChoices):
    """Why a certificate stopped being valid (the API's `invalid_reason`); the label is what people read."""

    EXPIRED = "expired", _("A required item's completion expired")
    REQUIREMENTS_CHANGED = "requirements_changed", _("A new required item was added to the training")
    WITHDRAWN = "withdrawn", _("A required item was withdrawn (or the training configuration was removed)")
    REVOKED = "revoked", _("Revoked by an administrator")


# Lazy: `str()` one in the language it is said in (the page's, the holder's; English for the audit log).
REASON_WORDS: dict[str, Promise] = {reason.value: reason.label for reason in InvalidReason}
# Short words for lists and chips.
REASON_SHORT: dict[str, Promise] = {
    InvalidReason.EXPIRED: _("Expired"),
    InvalidReason.REQUIREMENTS_CHANGED: _("Requirements changed"),
    InvalidReason.WITHDRAWN: _("Withdrawn"),
    InvalidReason.REVOKED: _("Revoked"),
}

NUMBER_PREFIX = "CERT-"
CODE_BYTES = 24  # secrets.token_urlsafe(24): 32 URL-safe characters, 192 bits
CODE_PATTERN = r"[A-Za-z0-9_-]{1,64}"  # what a verification URL may carry (longer or other: unknown)


def is_valid(*, invalidated_at: dt.datetime | None, valid_until: dt.datetime | None, now: dt.datetime) -> bool:
    """A certificate is valid while nothing invalidated it and its `valid_until` (if any) is still ahead.

    A certificate whose `valid_until` passed is invalid (expired) at once, before the worker records
    it (`invalidated_at`, reason `expired`); the status never waits for the worker."""
    return invalidated_at is None and (valid_until is None or valid_until > now)


def status_of(*, invalidated_at: dt.datetime | None, valid_until: dt.datetime | None, now: dt.datetime) -> str:
    valid = is_valid(invalidated_at=invalidated_at, valid_until=valid_until, now=now)
    return CertificateStatus.VALID if valid else CertificateStatus.INVALID


def invalid_since(
    *, invalidated_at: dt.datetime | None, valid_until: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """Since when an invalid certificate is invalid (None while valid)."""
    if invalidated_at is not None:
        return invalidated_at
    if valid_until is not None and valid_until <= now:
        return valid_until
    return None


def invalid_reason_of(
    *, invalidated_at: dt.datetime | None, invalid_reason: str | None, valid_until: dt.datetime | None, now: dt.datetime
) -> str | None:
    """The reason as the API shows it: the recorded one, or `expired` for one whose date passed unrecorded."""
    if invalidated_at is not None:
        return invalid_reason
    if valid_until is not None and valid_until <= now:
        return InvalidReason.EXPIRED
    return None


def format_number(sequence: int) -> str:
    """The human certificate number: the tenant's running count, e.g. CERT-000042."""
    return f"{NUMBER_PREFIX}{sequence:06d}"


def new_code() -> str:
    """An unguessable verification code (URL-safe)."""
    return secrets.token_urlsafe(CODE_BYTES)


Target = tuple[str, int]  # (type, id) of a course, path or skill


def target_key(target_type: str, target_id: int) -> str:
    return f"{target_type}:{target_id}"


def requirements_key(targets: Iterable[Target]) -> str:
    """The required items a certificate was issued for, as one string ("|course:3|path:7|").

    Stored beside the items so that SQL can ask "does it list this item?" (`LIKE '%|course:3|%'`)
    and "does it cover what is required now?" without reading JSON."""
    keys = sorted({target_key(t, i) for t, i in targets})
    return "|" + "|".join(keys) + "|" if keys else ""


def listed_fragment(target_type: str, target_id: int) -> str:
    """The piece of `requirements_key` that says the item is listed."""
    return f"|{target_key(target_type, target_id)}|"


def covers(listed_key: str, required: Collection[Target]) -> bool:
    """The certificate lists every item that is required now (fewer required items keep it valid)."""
    return all(listed_fragment(t, i) in listed_key for t, i in required)


def earliest_expiry(expiries: Sequence[dt.datetime | None]) -> dt.datetime | None:
    """`valid_until`: the earliest expiry among the required items' completions (None: none expires)."""
    known = [moment for moment in expiries if moment is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class HeldItem:
    """One required item as a person holds it at issue: the completion and when it expires."""

    target_type: str
    target_id: int
    title: str
    completed_at: dt.datetime | None
    expires_at: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "target": {"type": self.target_type, "id": self.target_id, "title": self.title},
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }
