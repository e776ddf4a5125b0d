"""Progress and completion intake, and deriving each assignment's progress and completion from it."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from duecourse.assignments import forecast, permissions
from duecourse.assignments.domain import all_done, renewed_expires_at, required_done_at
from duecourse.assignments.models import Assignment, Completion, CourseProgress, ProgressSample
from duecourse.assignments.signals import completions_changed
from duecourse.catalog import selectors as catalog
from duecourse.catalog.models import Course
from duecourse.core import clock
from duecourse.core.errors import FieldError, NotFound, ValidationFailed, forbidden
from duecourse.core.models import AuditEvent
from duecourse.core.sql import bulk_update_by_pk
from duecourse.people.models import Person


def _open_percent(percent: int) -> int:
    """Progress toward a course not validly completed: 100% left over from an expired completion is a retake."""
    return 0 if percent >= 100 else percent


def sync_assignments(*, assignments: QuerySet, now: dt.datetime | None = None, history: bool = False) -> int:
    """Recompute progress and completion of these (few) open assignments from completions and progress,
    and the forecast's facts: the minutes of the required courses not yet done and, with `history`
    (progress intake), a progress sample for each whose progress changed and the cycle's trend.

    Called for one person's assignments after progress intake, and for newly created assignments of
    people who already hold completions (credit at creation is no sample: the cycle is not started).
    Returns how many changed progress or completion.
    """
    now = now or clock.now()
    rows = list(
        assignments.filter(withdrawn_at__isnull=True).filter(Q(completed_at__isnull=True) | Q(expires_at__lte=now))
    )
    if not rows:
        return 0
    loaded = {a.pk: (a.forecast_cycle, a.remaining_minutes) for a in rows}
    tenant_id = rows[0].tenant_id
    person_ids = {a.person_id for a in rows}
    required_by_target = {
        (a.target_type, a.target_id): catalog.target_required_course_ids(
            target_type=a.target_type, target_id=a.target_id
        )
        for a in rows
    }
    all_required = sorted({c for courses in required_by_target.values() for c in courses})
    satisfying = catalog.courses_satisfying(tenant_id=tenant_id, course_ids=all_required)
    minutes = catalog.course_minutes(course_ids=all_required)
    relevant_courses = {c for s in satisfying.values() for c in s}
    completions: dict[int, dict[int, list[dt.datetime]]] = {}  # person -> course -> dates
    for person_id, course_id, completed_at in Completion.objects.filter(
        tenant_id=tenant_id, person_id__in=person_ids, course_id__in=relevant_courses
    ).values_list("person_id", "course_id", "completed_at"):
        completions.setdefault(person_id, {}).setdefault(course_id, []).append(completed_at)
    percents: dict[tuple[int, int], int] = {}
    reported_at: dict[tuple[int, int], dt.datetime] = {}  # when progress was last reported, person+course
    for p, c, pct, updated_at in CourseProgress.objects.filter(
        tenant_id=tenant_id, person_id__in=person_ids, course_id__in=relevant_courses
    ).values_list("person_id", "course_id", "percent", "updated_at"):
        percents[(p, c)] = pct
        reported_at[(p, c)] = updated_at
    changed = []
    moved: dict[int, int] = {}  # assignment id -> its progress before, for those whose progress changed
    for a in rows:
        by_course = completions.get(a.person_id, {})
        required = required_by_target[(a.target_type, a.target_id)]
        satisfied_by = [satisfying[c] for c in required]
        done_at = required_done_at(
            required=satisfied_by,
            completions=by_course,
            after=a.completions_after,
            validity_months=a.validity_months,
            now=now,
        )
        complete = all_done(done_at)
        course_percent = [
            100 if done else max((_open_percent(percents.get((a.person_id, s), 0)) for s in satisfying[c]), default=0)
            for c, done in zip(required, done_at, strict=True)
        ]
        progress = round(sum(course_percent) / len(course_percent)) if course_percent else 0
        before = (a.progress, a.completed_at, a.expires_at, a.started_at)
        if a.forecast_cycle != a.cycle:  # the facts of an earlier cycle: this one starts without a trend
            a.trend_pace = a.projected_finish = a.progress_at = None
        a.forecast_cycle = a.cycle
        a.remaining_minutes = sum(minutes.get(c, 0) for c, done in zip(required, done_at, strict=True) if done is None)
        a.progress = 100 if complete else min(progress, 99)
        if a.progress != before[0]:
            moved[a.pk] = before[0]
        if a.progress > 0 and a.started_at is None:
            # Progress reported before the assignment existed: it started then, not now.
            earlier = [
                moment
                for c in required
                for s in satisfying[c]
                for moment in [reported_at.get((a.person_id, s)), *by_course.get(s, ())]
                if moment is not None and moment < now and (a.completions_after is None or moment > a.completions_after)
            ]
            a.started_at = min(earlier, default=now)
        if complete:
            finished = [moment for moment in done_at if moment is not None]
            a.completed_at = max(finished)
            # A recertification (re-opened keeping the previous completion's expiry) extends from that expiry.
            a.expires_at = renewed_expires_at(
                completed_at=min(finished), validity_months=a.validity_months, previous_expires_at=a.expires_at
            )
        if (a.progress, a.completed_at, a.expires_at, a.started_at) != before:
            changed.append(a)
    changed_ids = {a.pk for a in changed}
    if history and moved:
        _record_history([a for a in rows if a.pk in moved], moved, now)
    facts = [
        (a.pk, a.progress, a.completed_at, a.expires_at, a.started_at)
        + (a.forecast_cycle, a.remaining_minutes, a.trend_pace, a.projected_finish, a.progress_at)
        for a in rows
        if a.pk in changed_ids or a.pk in moved or (a.forecast_cycle, a.remaining_minutes) != loaded[a.pk]
    ]
    bulk_update_by_pk(
        Assignment,
        ["progress", "completed_at", "expires_at", "started_at", *FORECAST_FIELDS],
        facts,
        tenant_id=tenant_id,
    )
    if changed:
        completions_changed.send(sender=Assignment, tenant_id=tenant_id, person_ids={a.person_id for a in changed})
    return len(changed)


FORECAST_FIELDS = ["forecast_cycle", "remaining_minutes", "trend_pace", "projected_finish", "progress_at"]
HISTORY_DAYS = 90  # samples between a cycle's first and its latest are kept this long


def _record_history(rows: list[Assignment], before: dict[int, int], now: dt.datetime) -> None:
    """Sample these assignments' new progress (set-based), compute each one's trend over its current cycle
    (`forecast.trend_of`) and prune: samples of closed cycles, and intermediate ones older than HISTORY_DAYS."""
    ids = [a.pk for a in rows]
    cycles = {a.pk: a.cycle for a in rows}
    earlier: dict[int, list[tuple[dt.datetime, int]]] = {}
    for assignment_id, cycle, at, percent in (
        ProgressSample.objects.filter(assignment_id__in=ids)
        .order_by("assignment_id", "at", "id")
        .values_list("assignment_id", "cycle", "at", "percent")
    ):
        if cycle == cycles[assignment_id]:
            earlier.setdefault(assignment_id, []).append((at, percent))
    zones = dict(Person.objects.filter(pk__in={a.person_id for a in rows}).values_list("pk", "timezone"))
    samples = []
    for a in rows:
        points = earlier.get(a.pk, [])
        if not points:  # the cycle's first report: the cycle opened at the percent it had until now
            opened = a.cycle_opened_at or a.assigned_at
            samples.append(
                ProgressSample(
                    tenant_id=a.tenant_id,
                    assignment_id=a.pk,
                    cycle=a.cycle,
                    at=opened,
                    percent=before[a.pk],
                    opening=True,
                )
            )
            points = [(opened, before[a.pk])]
        samples.append(
            ProgressSample(tenant_id=a.tenant_id, assignment_id=a.pk, cycle=a.cycle, at=now, percent=a.progress)
        )
        trend = forecast.trend_of([*points, (now, a.progress)], zones.get(a.person_id))
        a.trend_pace = trend.pace if trend else None
        a.projected_finish = trend.projected_finish if trend else None
        a.progress_at = trend.latest_at if trend else None
    ProgressSample.objects.bulk_create(samples)
    ProgressSample.objects.filter(assignment_id__in=ids).filter(
        Q(cycle__lt=F("assignment__cycle")) | Q(opening=False, at__lt=now - dt.timedelta(days=HISTORY_DAYS))
    ).delete()


ESTIMATE_CHUNK = 1000


def estimates_refresh(*, tenant_id: int, course_id: int) -> None:
    """A course's estimate changed: its open assignments' (and its paths' and skills') `estimated_minutes`
    follow, set-based per target; the remaining minutes intake computed are recomputed (`sync_assignments`,
    in chunks) for those that have them."""
    for target_type, target_id in catalog.targets_containing_course(course_id=course_id):
        minutes = catalog.target_estimated_minutes(target_type=target_type, target_id=target_id)
        open_items = Assignment.objects.filter(
            tenant_id=tenant_id,
            target_type=target_type,
            target_id=target_id,
            withdrawn_at__isnull=True,
            completed_at__isnull=True,
        )
        open_items.exclude(estimated_minutes=minutes).update(estimated_minutes=minutes)
        counted = list(open_items.filter(forecast_cycle__isnull=False).values_list("pk", flat=True))
        for start in range(0, len(counted), ESTIMATE_CHUNK):
            sync_assignments(assignments=Assignment.objects.filter(pk__in=counted[start : start + ESTIMATE_CHUNK]))


def _resolve_person(tenant_id: int, person_id, email) -> Person:
    """The person progress is about; unknown (or in another tenant) is a 404, like any unknown id."""
    if person_id is not None:
        person = Person.objects.filter(tenant_id=tenant_id, pk=person_id).first()
        if person is None:
            raise NotFound.on("person_id", _("no person with id %(person_id)s") % {"person_id": person_id})
        return person
    if email:
        person = Person.objects.filter(tenant_id=tenant_id, email=str(email).strip().lower()).first()
        if person is None:
            raise NotFound.on("email", _("no person with email %(email)s") % {"email": email})
        return person
    raise ValidationFailed.on("person_id", _("give person_id or email"))


def _resolve_course(tenant_id: int, course_id, course_code) -> Course:
    if course_id is not None:
        course = Course.objects.filter(tenant_id=tenant_id, pk=course_id).first()
        if course is None:
            raise NotFound.on("course_id", _("no course with id %(course_id)s") % {"course_id": course_id})
        return course
    if course_code:
        course = Course.objects.filter(tenant_id=tenant_id, code=course_code).first()
        if course is None:
            raise NotFound.on("course_code", _("no course with code %(course_code)s") % {"course_code": course_code})
        return course
    raise ValidationFailed.on("course_id", _("give course_id or course_code"))


def progress_record(
    *,
    actor: Person,
    person_id: int | None = None,
    email: str | None = None,
    course_id: int | None = None,
    course_code: str | None = None,
    progress: int | None = None,
    completed_at: dt.datetime | None = None,
    score: float | None = None,
    origin: str = "api",
    statement_id: str = "",
) -> dict:
    """Record progress (and completion when progress is 100 or completed_at is given) for a person and course."""
    if not permissions.can_record_progress(actor):
        raise forbidden("record progress")
    tenant_id = actor.tenant_id
    errors: list[FieldError] = []
    if progress is not None and (isinstance(progress, bool) or not 0 <= progress <= 100):
        errors.append(FieldError("progress", _("must be a whole number from 0 to 100")))
    if progress is None and completed_at is None:
        errors.append(FieldError("progress", _("give progress or completed_at")))
    now = clock.now()
    if completed_at is not None and completed_at > now + dt.timedelta(minutes=5):
        errors.append(FieldError("completed_at", _("is in the future")))
    if errors:
        raise ValidationFailed(detail=_("Invalid progress"), errors=errors)
    person = _resolve_person(tenant_id, person_id, email)
    course = _resolve_course(tenant_id, course_id, course_code)
    entry = ProgressEntry(
        person_id=person.pk,
        course_id=course.pk,
        progress=progress,
        completed_at=completed_at,
        score=score,
        origin=origin,
        statement_id=statement_id,
    )
    with transaction.atomic():
        completion_ids, changed = progress_apply(actor=actor, entries=[entry], now=now)
    return {
        "person_id": person.pk,
        "course_id": course.pk,
        "progress": entry.percent,
        "completion_id": completion_ids[0] if completion_ids else None,
        "assignments_updated": changed,
    }


@dataclass
class ProgressEntry:
    """One checked progress report; `completes` when progress is 100 or a completion date is given."""

    person_id: int
    course_id: int
    progress: int | None
    completed_at: dt.datetime | None = None
    score: float | None = None
    origin: str = "api"
    statement_id: str = ""

    @property
    def completes(self) -> bool:
        return self.completed_at is not None or self.progress == 100

    @property
    def percent(self) -> int:
        return 100 if self.completes else int(self.progress or 0)


def progress_apply(*, actor: Person, entries: list[ProgressEntry], now: dt.datetime) -> tuple[list[int], int]:
    """Write a batch of checked reports set-wise (progress, completions, audit) and update what they satisfy.

    Runs inside the caller's transaction. Returns (completion ids in entry order, assignments changed).
    """
    tenant_id = actor.tenant_id
    latest: dict[tuple[int, int], int] = {}
    for e in entries:
        latest[(e.person_id, e.course_id)] = e.percent
    # One upsert: a first report inserts, a later one (or a concurrent first one) overwrites the percent.
    CourseProgress.objects.bulk_create(
        [
            CourseProgress(tenant_id=tenant_id, person_id=p, course_id=c, percent=pct, updated_at=now)
            for (p, c), pct in sorted(latest.items())  # one lock order for concurrent batches
        ],
        update_conflicts=True,
        unique_fields=["person", "course"],
        update_fields=["percent", "updated_at"],
    )
    completions = [
        Completion(
            tenant_id=tenant_id,
            person_id=e.person_id,
            course_id=e.course_id,
            completed_at=e.completed_at or now,
            score=e.score,
            origin=e.origin,
            statement_id=e.statement_id,
            recorded_at=now,
            recorded_by=actor,
        )
        for e in entries
        if e.completes
    ]
    Completion.objects.bulk_create(completions)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                tenant_id=tenant_id,
                actor_id=actor.pk,
                action="completion.record",
                object_type="person",
                object_id=c.person_id,
                at=now,
                after={
                    "course_id": c.course_id,
                    "completed_at": c.completed_at.isoformat(),
                    "score": c.score,
                    "origin": c.origin,
                },
            )
            for c in completions
        ]
    )
    targets = catalog.targets_touched_by_courses(tenant_id=tenant_id, course_ids=sorted({e.course_id for e in entries}))
    touched = Q(pk__in=[])
    for target_type, target_id in targets:
        touched |= Q(target_type=target_type, target_id=target_id)
    changed = sync_assignments(
        history=True,
        assignments=Assignment.objects.filter(tenant_id=tenant_id, person_id__in={e.person_id for e in entries}).filter(
            touched
        ),
        now=now,
    )
    ids = [c.pk for c in completions]
    return ids, changed
