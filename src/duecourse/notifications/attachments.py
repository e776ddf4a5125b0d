"""Files that outbox emails carry, named by reference and produced when the email is delivered.

An outbox row lists references (`OutboxMessage.attachments`: `[{"kind": "certificate", "id": 7}]`);
the app that owns each kind registers a resolver here when it starts (`AppConfig.ready`), so this
app never imports the apps above it. A resolver returns the file or raises `AttachmentFailed`:
delivery then holds the email with the error instead of sending it without the file.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


class AttachmentFailed(Exception):
    """The file could not be produced; the message says why (kept as the email's `last_error`)."""


Resolver = Callable[[int, int], Attachment]  # (tenant_id, object id) -> the file
_RESOLVERS: dict[str, Resolver] = {}


def register_attachment_kind(kind: str, resolver: Resolver) -> None:
    _RESOLVERS[kind] = resolver


def resolve_attachments(tenant_id: int, references: list | None) -> list[Attachment]:
    """Every file an email names, or AttachmentFailed for the first that cannot be produced."""
    files = []
    for reference in references or []:
        kind = reference.get("kind") if isinstance(reference, dict) else None
        resolver = _RESOLVERS.get(kind) if isinstance(kind, str) else None
        if resolver is None:
            raise AttachmentFailed(f"unknown attachment {reference!r}")
        try:
            files.append(resolver(tenant_id, int(reference.get("id"))))
        except AttachmentFailed:
            raise
        except Exception as exc:  # a resolver's own failure holds the email all the same
            raise AttachmentFailed(f"{kind} {reference.get('id')}: {exc.__class__.__name__}: {exc}") from exc
    return files
