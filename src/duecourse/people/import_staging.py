"""The web import's uploaded file, kept on the server between its dry run and its confirmation.

The browser never sends the file twice: the preview stages it under an unguessable token in
`DATA_DIR/import-staging/`, with its SHA-256, the actor, the tenant, the chosen options and the
dry-run result. Confirming names the token and the hash it was shown; the import then runs on the
staged bytes only when they still hash to that value, for the same person in the same tenant, within
`STAGE_TTL`. So what is imported is exactly what was previewed, by whoever previewed it.
"""

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings

from duecourse.core import clock
from duecourse.core.errors import ValidationFailed
from duecourse.people.models import Person

STAGE_TTL = dt.timedelta(hours=1)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PREVIEWED, IMPORTED = "previewed", "imported"


@dataclass
class StagedImport:
    token: str
    actor_id: int
    tenant_id: int
    sha256: str
    filename: str
    size: int
    rows: int
    deactivate_missing: bool
    created_at: str
    preview: dict
    state: str = PREVIEWED
    result: dict | None = field(default=None)
    invite_created: bool = False  # on confirmation, invite the people the import creates

    @property
    def outcome(self) -> dict:
        """What the pages show: the import's result once confirmed, else the dry run's."""
        return self.result if self.state == IMPORTED and self.result is not None else self.preview

    def failure_lines(self) -> list[dict]:
        """One line per error of a failed row: `row` as the API counts (from 0), `line` as a spreadsheet
        numbers it (the header is 1), `field`, `message`."""
        return [
            {"row": failure["row"], "line": failure["row"] + 2, "field": error["field"], "message": error["message"]}
            for failure in self.outcome["failed"]
            for error in failure["errors"]
        ]

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at) + STAGE_TTL


def staging_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "import-staging"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _paths(token: str) -> tuple[Path, Path]:
    directory = staging_dir()
    return directory / f"{token}.csv", directory / f"{token}.json"


def _write_meta(staged: StagedImport) -> None:
    _, meta_path = _paths(staged.token)
    temporary = meta_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(staged)))
    temporary.replace(meta_path)  # atomic: a reader sees the old or the new state, never half


def _sweep() -> None:
    """Forget staged files past their expiry (each upload tidies up after the earlier ones)."""
    cutoff = clock.now() - STAGE_TTL
    for meta_path in staging_dir().glob("*.json"):
        try:
            created = dt.datetime.fromisoformat(json.loads(meta_path.read_text())["created_at"])
        except (OSError, ValueError, KeyError):
            continue
        if created < cutoff:
            for suffix in (".csv", ".importing"):
                meta_path.with_suffix(suffix).unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def stage(
    *,
    actor: Person,
    content: bytes,
    filename: str,
    rows: int,
    deactivate_missing: bool,
    preview: dict,
    invite_created: bool = False,
) -> StagedImport:
    _sweep()
    token = secrets.token_urlsafe(24)
    staged = StagedImport(
        token=token,
        actor_id=actor.pk,
        tenant_id=actor.tenant_id,
        sha256=sha256_of(content),
        filename=Path(filename or "people.csv").name[:200],
        size=len(content),
        rows=rows,
        deactivate_missing=deactivate_missing,
        created_at=clock.now().isoformat(),
        preview=preview,
        invite_created=invite_created,
    )
    csv_path, _ = _paths(token)
    csv_path.write_bytes(content)
    _write_meta(staged)
    return staged


GONE = "this import is unknown or has expired; upload the file again"


def load(*, actor: Person, token: str) -> StagedImport:
    """The actor's own staged import; anyone else's, an expired or a made-up token is simply unknown."""
    if not TOKEN_PATTERN.match(token or ""):
        raise ValidationFailed.on("file", GONE)
    _, meta_path = _paths(token)
    try:
        staged = StagedImport(**json.loads(meta_path.read_text()))
    except (OSError, ValueError, TypeError):
        raise ValidationFailed.on("file", GONE) from None
    if staged.actor_id != actor.pk or staged.tenant_id != actor.tenant_id:
        raise ValidationFailed.on("file", GONE)
    if staged.state == PREVIEWED and staged.expires_at < clock.now():
        raise ValidationFailed.on("file", GONE)
    return staged


def content_for_confirm(staged: StagedImport, *, shown_sha256: str) -> bytes:
    """The staged bytes, when they are still exactly the file whose preview was shown."""
    if staged.state != PREVIEWED:
        raise ValidationFailed.on("file", "this file has already been imported")
    if not secrets.compare_digest(shown_sha256 or "", staged.sha256):
        raise ValidationFailed.on("file", "the file changed since its preview; upload it again and review the dry run")
    csv_path, _ = _paths(staged.token)
    claimed = csv_path.with_suffix(".importing")
    try:
        csv_path.rename(claimed)  # atomic: of two confirmations at once (a double click), one runs
        content = claimed.read_bytes()
    except OSError:
        raise ValidationFailed.on("file", "this file is already being imported, or has expired") from None
    if sha256_of(content) != staged.sha256:
        claimed.unlink(missing_ok=True)
        raise ValidationFailed.on("file", "the file changed since its preview; upload it again and review the dry run")
    return content


def release(staged: StagedImport) -> None:
    """Give a claimed file back after an import that wrote nothing (it may be confirmed again)."""
    csv_path, _ = _paths(staged.token)
    csv_path.with_suffix(".importing").replace(csv_path)


def mark_imported(staged: StagedImport, result: dict) -> None:
    """Keep the result (for its page and failures CSV) and drop the file itself."""
    staged.state, staged.result = IMPORTED, result
    _write_meta(staged)
    _paths(staged.token)[0].with_suffix(".importing").unlink(missing_ok=True)
