"""What the API, the CSV export and the pages show of a certificate (one shape, one place)."""

import datetime as dt
from typing import Any

from duecourse.certificates.domain import (
    REASON_SHORT,
    STATUS_LABELS,
    invalid_reason_of,
    invalid_since,
    status_of,
)
from duecourse.certificates.files import verification_url
from duecourse.certificates.models import Certificate

CSV_COLUMNS = [
    "id",
    "number",
    "person_id",
    "person_name",
    "rule_id",
    "title",
    "status",
    "issued_at",
    "valid_until",
    "invalidated_at",
    "invalid_reason",
    "items",
]


def _item(item: dict[str, Any]) -> dict[str, Any]:
    target = item.get("target") or {}
    completed = item.get("completed_at")
    return {
        "target": {"type": target.get("type", ""), "id": target.get("id", 0), "title": target.get("title", "")},
        "completed_at": dt.datetime.fromisoformat(completed) if completed else None,
    }


def certificate_as_dict(cert: Certificate, *, now: dt.datetime, show_errors: bool = False) -> dict[str, Any]:
    """The API's certificate (`schemas.CertificateOut`); `show_errors` adds the PDF error (admins)."""
    invalidated_at, valid_until = cert.invalidated_at, cert.valid_until
    return {
        "id": cert.pk,
        "number": cert.number,
        "code": cert.code,
        "person_id": cert.person_id,
        "person_name": cert.person.name,
        "rule_id": cert.rule_id,
        "title": cert.title,
        "status": status_of(invalidated_at=invalidated_at, valid_until=valid_until, now=now),
        "issued_at": cert.issued_at,
        "valid_until": cert.valid_until,
        "invalidated_at": invalid_since(invalidated_at=invalidated_at, valid_until=valid_until, now=now),
        "invalid_reason": invalid_reason_of(
            invalidated_at=invalidated_at, invalid_reason=cert.invalid_reason, valid_until=valid_until, now=now
        ),
        "revoke_reason": cert.revoke_reason or None,
        "items": [_item(item) for item in cert.items],
        "verify_url": verification_url(cert.code),
        "pdf_error": (cert.pdf_error or None) if show_errors else None,
    }


def certificate_csv_row(cert: Certificate, *, now: dt.datetime) -> list[Any]:
    row = certificate_as_dict(cert, now=now)
    row["items"] = [item["target"]["title"] for item in row["items"]]
    return [row[column] for column in CSV_COLUMNS]


def certificate_row(cert: Certificate, *, now: dt.datetime) -> dict[str, Any]:
    """What a page's table shows: the API's fields plus words for people."""
    shown = certificate_as_dict(cert, now=now, show_errors=True)
    shown["status_label"] = STATUS_LABELS[shown["status"]]
    shown["reason_label"] = REASON_SHORT.get(shown["invalid_reason"] or "", "")
    shown["certificate"] = cert
    return shown
