"""The xAPI 1.0.3 Statements resource, enough for an LRS client to report progress and completion.

Statements are validated as a batch (the spec's all-or-nothing), stored once per id, and turned into
progress records: completed / passed → completion; progressed → percent.
"""

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q

from duecourse.assignments import permissions
from duecourse.assignments.models import XapiStatement
from duecourse.assignments.progress import ProgressEntry, progress_apply
from duecourse.catalog.models import Course
from duecourse.core import clock
from duecourse.core.errors import Conflict, DomainError, FieldError, forbidden
from duecourse.core.sql import bulk_insert_returning
from duecourse.people.models import Person

VERSION = "1.0.3"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
KNOWN_VERBS = {VERB_COMPLETED, VERB_PASSED, VERB_PROGRESSED}
PROGRESS_EXTENSIONS = (
    "https://w3id.org/xapi/cmi5/result/extensions/progress",
    "http://w3id.org/xapi/cmi5/result/extensions/progress",
    "progress",
)
MAX_BATCH = 1000


class XapiBadRequest(DomainError):
    status_code = 400


def _member(container: dict[str, Any], key: str) -> dict[str, Any]:
    """An object member of a statement, or an empty one when it is missing or not an object."""
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def _parse_timestamp(value: object, where: str, errors: list[FieldError]) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    errors.append(FieldError(where, "must be an ISO 8601 timestamp"))
    return None


def _progress_from_result(result: dict[str, Any]) -> int | None:
    extensions = _member(result, "extensions")
    for key in PROGRESS_EXTENSIONS:
        value = extensions.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
            return round(value)
    score = _member(result, "score")
    scaled = score.get("scaled")
    if isinstance(scaled, int | float) and not isinstance(scaled, bool) and 0 <= scaled <= 1:
        return round(scaled * 100)
    return None


class _Lookups:
    """People by email and courses by launch URL or code for a whole batch: two queries, not two per statement."""

    def __init__(self, tenant_id: int, statements: list[Any]):
        emails: set[str] = set()
        activities: set[str] = set()
        for statement in statements:
            if isinstance(statement, dict):
                actor = _member(statement, "actor")
                mbox = actor.get("mbox")
                if isinstance(mbox, str) and mbox.startswith("mailto:"):
                    emails.add(mbox[len("mailto:") :].strip().lower())
                obj = _member(statement, "object")
                if isinstance(obj.get("id"), str):
                    activities.add(obj["id"])
        self.person_ids = dict(
            Person.objects.filter(tenant_id=tenant_id, email__in=emails).values_list("email", "id").order_by()
        )
        courses = list(
            Course.objects.filter(tenant_id=tenant_id)
            .filter(Q(launch_url__in=activities) | Q(code__in=activities))
            .values_list("id", "code", "launch_url")
            .order_by()
        )
        self.course_ids = {code: pk for pk, code, _ in courses}
        self.course_ids.update({url: pk for pk, _, url in courses if url})  # a launch URL wins over a code


def _interpret(lookups: _Lookups, index: int, statement: Any, errors: list[FieldError]) -> dict[str, Any] | None:
    where = f"statements[{index}]"
    if not isinstance(statement, dict):
        errors.append(FieldError(where, "must be an xAPI statement object"))
        return None
    statement_id = statement.get("id")
    if statement_id is None:
        statement_id = str(uuid.uuid4())
    try:
        statement_id = str(uuid.UUID(str(statement_id)))
    except ValueError:
        errors.append(FieldError(f"{where}.id", "must be a UUID"))
        return None
    actor = _member(statement, "actor")
    mbox = actor.get("mbox")
    if not isinstance(mbox, str) or not mbox.startswith("mailto:"):
        errors.append(FieldError(f"{where}.actor.mbox", "must be mailto:<email> (the actor is found by email)"))
        return None
    person_id = lookups.person_ids.get(mbox[len("mailto:") :].strip().lower())
    if person_id is None:
        errors.append(FieldError(f"{where}.actor.mbox", f"no person with email {mbox[len('mailto:') :]}"))
        return None
    verb = _member(statement, "verb")
    verb_id = verb.get("id")
    if not isinstance(verb_id, str) or not verb_id:
        errors.append(FieldError(f"{where}.verb.id", "is required"))
        return None
    obj = _member(statement, "object")
    activity = obj.get("id")
    if not isinstance(activity, str) or not activity:
        errors.append(FieldError(f"{where}.object.id", "is required"))
        return None
    course_id = lookups.course_ids.get(activity)
    if course_id is None:
        errors.append(FieldError(f"{where}.object.id", f"no course has launch URL or code {activity}"))
        return None
    result = _member(statement, "result")
    timestamp = _parse_timestamp(statement.get("timestamp"), f"{where}.timestamp", errors)
    action: dict[str, Any] = {
        "statement_id": statement_id,
        "person_id": person_id,
        "course_id": course_id,
        "verb": verb_id,
        "raw": statement,
    }
    if verb_id in (VERB_COMPLETED, VERB_PASSED):
        action["completed_at"] = min(timestamp or clock.now(), clock.now())
        score = _member(result, "score")
        raw_score = score.get("raw", score.get("scaled"))
        action["score"] = raw_score if isinstance(raw_score, int | float) and not isinstance(raw_score, bool) else None
    elif verb_id == VERB_PROGRESSED:
        percent = _progress_from_result(result)
        if percent is None:
            errors.append(FieldError(f"{where}.result", "progressed needs a cmi5 progress extension or score.scaled"))
            return None
        action["progress"] = percent
    return action


def statements_store(*, actor: Person, body: Any, statement_id: str | None = None) -> list[str]:
    """Store one statement or a list; returns their ids. Known ids are not stored (or applied) twice."""
    if not permissions.can_record_progress(actor):
        raise forbidden("send xAPI statements")
    statements = body if isinstance(body, list) else [body]
    if statement_id is not None:
        if isinstance(body, list):
            raise XapiBadRequest(detail="PUT takes one statement", errors=[FieldError("body", "must be one statement")])
        statements = [{**body, "id": statement_id}] if isinstance(body, dict) else statements
    if not statements or len(statements) > MAX_BATCH:
        raise XapiBadRequest(
            detail=f"Send 1 to {MAX_BATCH} statements",
            errors=[FieldError("statements", f"send 1 to {MAX_BATCH} statements")],
        )
    errors: list[FieldError] = []
    lookups = _Lookups(actor.tenant_id, statements)
    interpreted = [_interpret(lookups, i, s, errors) for i, s in enumerate(statements)]
    actions = [a for a in interpreted if a is not None]  # all of them when there are no errors
    ids = [a["statement_id"] for a in actions]
    if len(set(ids)) != len(ids):
        errors.append(FieldError("statements", "the batch holds the same statement id twice"))
    if errors:
        raise XapiBadRequest(
            detail="Invalid statement(s): " + "; ".join(f"{e.field} {e.message}" for e in errors), errors=errors
        )
    now = clock.now()
    with transaction.atomic():
        stored = _store_new(actor.tenant_id, actions, now)
        if statement_id is not None and ids[0] not in stored:
            known = XapiStatement.objects.filter(tenant_id=actor.tenant_id, statement_id=ids[0])
            if known.values_list("raw", flat=True).first() != actions[0]["raw"]:
                raise Conflict(detail="A different statement with this id is already stored")
        entries = [
            ProgressEntry(
                person_id=a["person_id"],
                course_id=a["course_id"],
                progress=a.get("progress"),
                completed_at=a.get("completed_at"),
                score=a.get("score"),
                origin="xapi",
                statement_id=a["statement_id"],
            )
            for a in actions
            if a["statement_id"] in stored and a["verb"] in KNOWN_VERBS
        ]
        if entries:
            progress_apply(actor=actor, entries=entries, now=now)
    return ids


def _store_new(tenant_id: int, actions: list[dict[str, Any]], now: dt.datetime) -> set[str]:
    """Store the statements not stored yet; returns the ids stored now (stored once, applied once).

    One `INSERT … ON CONFLICT DO NOTHING RETURNING`: a known id, or one another request is storing
    at the same moment, is skipped by the unique key rather than looked up first.
    """
    rows = [
        (tenant_id, a["statement_id"], now, a["verb"][:300], a["person_id"], a["course_id"], a["raw"]) for a in actions
    ]
    fields = ["tenant", "statement_id", "stored_at", "verb", "person", "course", "raw"]
    inserted = bulk_insert_returning(XapiStatement, fields, rows, ["statement_id"], ignore_conflicts=True)
    return {str(uuid.UUID(str(value))) for (value,) in inserted}
