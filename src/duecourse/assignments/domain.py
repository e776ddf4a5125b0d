"""Pure rules of assignments: due dates, validity, reminder plans. No database here.

Status is in `status`, priorities in `priorities`, bounds in `limits`."""

import calendar
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from duecourse.assignments.limits import (
    DEFAULT_OVERLOAD_MINUTES_30D,
    DEFAULT_RECERT_WINDOW_DAYS,
    MAX_RECERT_WINDOW_DAYS,
    MAX_REMINDER_DAYS,
    MAX_REMINDER_RULES,
    MAX_TEMPLATE_NAME_LENGTH,
)
from duecourse.assignments.priorities import DEFAULT_PRIORITY, priority_rank
from duecourse.core.timezones import local_day_end, zone_of


class Recipient(TextChoices):
    """Who a reminder rule (or an escalation tier) tells."""

    LEARNER = "learner", gettext_lazy("Learner")
    ASSIGNER = "assigner", gettext_lazy("Assigner")
    MANAGER = "manager", gettext_lazy("Manager")
    HR = "hr", gettext_lazy("HR contacts")


RECIPIENTS: tuple[str, ...] = tuple(Recipient.values)
RECIPIENT_LABELS: dict[str, str | Promise] = {recipient.value: recipient.label for recipient in Recipient}  # lazy
DEFAULT_REMINDER_PLAN = [{"days": 3, "recipients": [Recipient.LEARNER.value]}]


def local_date(moment: dt.datetime, timezone_name: str) -> dt.date:
    return moment.astimezone(zone_of(timezone_name)).date()


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def completion_expires_at(completed_at: dt.datetime, validity_months: int | None) -> dt.datetime | None:
    return add_months(completed_at, validity_months) if validity_months else None


def renewed_expires_at(
    *, completed_at: dt.datetime, validity_months: int | None, previous_expires_at: dt.datetime | None
) -> dt.datetime | None:
    """When an assignment's completion expires: `validity_months` from the later of the completion and
    the expiry of the completion it renews (a recertification re-opened before the old one ran out), so
    an early recertifier loses nothing and a late one counts from the day they completed. Every path
    that completes an assignment sets `expires_at` with it (`progress.sync_assignments`)."""
    if not validity_months:
        return None
    start = completed_at if previous_expires_at is None else max(completed_at, previous_expires_at)
    return add_months(start, validity_months)


def completion_is_valid(completed_at: dt.datetime, validity_months: int | None, now: dt.datetime) -> bool:
    expires = completion_expires_at(completed_at, validity_months)
    return expires is None or expires > now


def holds_valid_completion(
    *, completed_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """The person holds a valid completion of this assignment's target at `now`.

    Completed and not run out; or re-opened for recertification (completed_at cleared, `expires_at`
    keeping the previous completion's expiry) while that completion is still valid. Certificates and
    compliance read it; `selectors.valid_completion_filter` is its SQL form (held to it by a test).
    """
    if completed_at is not None:
        return expires_at is None or expires_at > now
    return expires_at is not None and expires_at > now


# --- recertification -----------------------------------------------------------------------------
def recert_window_in(settings: Mapping[str, object]) -> int:
    """A tenant's default recertification window (days) from its settings; anything malformed is the default."""
    value = settings.get("recert_window_days", DEFAULT_RECERT_WINDOW_DAYS)
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RECERT_WINDOW_DAYS
        else DEFAULT_RECERT_WINDOW_DAYS
    )


def recert_window(*, rule_windows: Iterable[int | None], tenant_default: int) -> int:
    """The days before its expiry that a completed assignment re-opens: the largest window among the
    active rules that hold it (a rule without one counts as the tenant default), else the tenant default.
    `sweeps.assignments_recertify` renders the same rule in SQL (held to it by a test)."""
    windows = [tenant_default if days is None else days for days in rule_windows]
    return max(windows) if windows else tenant_default


# The rule a window obeys: **at most half the validity**, so an item never re-opens in the first half of
# the time the completion it renews holds. A rule's own window is refused beyond `recert_window_limit` of
# its shortest validity (`living_rules.clean_rule_input`); any other window (the tenant default, a rule
# holding an item another source gave a shorter validity) is capped at half the real span at runtime
# (`effective_recert_window`; `sweeps.recertification_due` is its SQL form, held to it by a test).
SHORTEST_MONTH_DAYS = 28  # the shortest span a month of validity can be (31 Jan + 1 month = 28 Feb)


def recert_window_limit(validity_months: int) -> int:
    """The widest window (days) a rule may set for items valid `validity_months`: half the shortest span
    that validity can be, so a window a rule was allowed is never capped at runtime."""
    return validity_months * SHORTEST_MONTH_DAYS // 2


def effective_recert_window(*, window_days: int, completed_at: dt.datetime, expires_at: dt.datetime) -> dt.timedelta:
    """The window that applies to one completion: `window_days`, at most half the span from the completion
    to its expiry (floored to the microsecond, so the re-open moment is never before the halfway point)."""
    return min(dt.timedelta(days=window_days), (expires_at - completed_at) // 2)


def recertifies_at(*, completed_at: dt.datetime, expires_at: dt.datetime, window_days: int) -> dt.datetime:
    """When a completion re-opens its assignment for recertification: `expires_at - window`, never before
    halfway from the completion to the expiry (`effective_recert_window`)."""
    return expires_at - effective_recert_window(
        window_days=window_days, completed_at=completed_at, expires_at=expires_at
    )


def recert_due_date(*, expires_at: dt.datetime, timezone_name: str | None) -> dt.date:
    """A recertification is due on the day the completion it renews expires, in the person's zone."""
    return local_date(expires_at, timezone_name or "UTC")


def required_done_at(
    *,
    required: Sequence[Collection[int]],
    completions: Mapping[int, Iterable[dt.datetime]],
    after: dt.datetime | None,
    validity_months: int | None,
    now: dt.datetime,
) -> list[dt.datetime | None]:
    """Per required course (given as the courses that satisfy it, equivalents included), the latest
    completion that is still valid and later than `after` (the end of the previous cycle), or None."""
    done_at: list[dt.datetime | None] = []
    for satisfying in required:
        dates = [
            moment
            for course in satisfying
            for moment in completions.get(course, ())
            if completion_is_valid(moment, validity_months, now) and (after is None or moment > after)
        ]
        done_at.append(max(dates) if dates else None)
    return done_at


def is_complete(
    required: Sequence[Collection[int]],
    completions: Mapping[int, Iterable[dt.datetime]],
    after: dt.datetime | None,
    *,
    validity_months: int | None = None,
    now: dt.datetime,
) -> bool:
    """A target is complete when every required course has a valid completion after `after`; a target
    that requires nothing never is (it could not be assigned)."""
    return all_done(
        required_done_at(
            required=required, completions=completions, after=after, validity_months=validity_months, now=now
        )
    )


def all_done(done_at: Sequence[dt.datetime | None]) -> bool:
    """`is_complete` from `required_done_at`'s answer, for callers that need both."""
    return bool(done_at) and all(done_at)


NEXT_CYCLE_GRACE = dt.timedelta(days=1)  # an undated recurring item reopens a day after its completion


def next_cycle_starts_at(*, due_at: dt.datetime | None, completed_at: dt.datetime) -> dt.datetime:
    """When a completed recurring item opens its next cycle: once its due instant has passed."""
    return due_at if due_at is not None else completed_at + NEXT_CYCLE_GRACE


def next_cycle(
    *, cycle: int, due_date: dt.date | None, completed_at: dt.datetime, recurrence_weeks: int
) -> tuple[int, dt.date]:
    """The next cycle's number and due date: the recurrence counted from the previous due date, or from
    the day of the completion (UTC) when there was none, so a late completion does not shift the rhythm."""
    previous = due_date or completed_at.astimezone(dt.UTC).date()
    return cycle + 1, previous + dt.timedelta(weeks=recurrence_weeks)


def overload_threshold_in(settings: Mapping[str, object]) -> int:
    """A tenant's overload threshold from its settings; anything but a positive whole number is the default."""
    value = settings.get("overload_minutes_30d", DEFAULT_OVERLOAD_MINUTES_30D)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_OVERLOAD_MINUTES_30D
    )


@dataclass(frozen=True)
class DueSpec:
    """How a source sets its due date: a fixed date, N days after assignment or hire date, or none."""

    fixed: dt.date | None = None
    days: int | None = None
    from_hire_date: bool = False

    def describe(self) -> str:
        if self.fixed:
            return f"fixed date {self.fixed.isoformat()}"
        if self.days is not None:
            return f"{self.days} days after {'hire date' if self.from_hire_date else 'assignment'}"
        return "no due date"

    def date_for(self, *, today: dt.date, hire_date: dt.date | None) -> dt.date | None:
        if self.fixed:
            return self.fixed
        if self.days is None:
            return None
        base = hire_date if self.from_hire_date and hire_date else today
        return base + dt.timedelta(days=self.days)


def reminder_due_at(*, due_date: dt.date, days_before: int, timezone_name: str | None) -> dt.datetime:
    """When a reminder rule `days_before` the due date (negative: after it) is due for a recipient: at local
    midnight starting its day, in their zone (`notifications.reminders` plans the same instant in SQL)."""
    return local_day_end(due_date - dt.timedelta(days=days_before + 1), timezone_name)


def validate_reminder_plan(plan: object, *, templates: Collection[str] | None = None) -> list[dict[str, Any]] | None:
    """A clean reminder plan, or ValueError saying what is wrong (the caller names the field).

    `templates`, when given, are the message template names that exist (`reminder_plans.clean_reminder_plan`
    asks the tenant's); a rule naming another one is refused. An empty name means the default email.
    """
    if plan is None:
        return None
    if not isinstance(plan, list):
        raise ValueError(gettext("must be a list of {days, recipients}"))
    if len(plan) > MAX_REMINDER_RULES:
        raise ValueError(gettext("at most %(max)s reminder rules") % {"max": MAX_REMINDER_RULES})
    clean = []
    for index, rule in enumerate(plan):
        if not isinstance(rule, dict):
            raise ValueError(f"[{index}] " + gettext("must be an object {days, recipients}"))
        days, recipients = rule.get("days"), rule.get("recipients", ["learner"])
        if isinstance(days, bool) or not isinstance(days, int) or abs(days) > MAX_REMINDER_DAYS:
            raise ValueError(
                f"[{index}].days "
                + gettext("must be a whole number from -%(max)s to %(max)s") % {"max": MAX_REMINDER_DAYS}
            )
        if not isinstance(recipients, list) or not recipients or any(r not in RECIPIENTS for r in recipients):
            raise ValueError(
                f"[{index}].recipients "
                + gettext("must be a non-empty list of %(recipients)s") % {"recipients": ", ".join(RECIPIENTS)}
            )
        entry = {"days": days, "recipients": sorted(set(recipients), key=RECIPIENTS.index)}
        template = rule.get("template")
        if template is not None:
            if not isinstance(template, str) or len(template) > MAX_TEMPLATE_NAME_LENGTH:
                raise ValueError(f"[{index}].template " + gettext("must be a template name"))
            if template and templates is not None and template not in templates:
                known = ", ".join(sorted(templates)) or gettext("none")
                raise ValueError(
                    f"[{index}].template: "
                    + gettext("there is no message template named %(name)r (known: %(known)s)")
                    % {"name": template, "known": known}
                )
            entry["template"] = template
        clean.append(entry)
    return clean


# --- effective values from sources ---------------------------------------------------------------
@dataclass(frozen=True)
class SourceTerms:
    """What one source contributes to its assignment (`AssignmentSource`'s own fields)."""

    due_date: dt.date | None = None
    priority: str = DEFAULT_PRIORITY
    reminder_plan: list[dict[str, Any]] | None = None  # None: the tenant's default plan
    note: str = ""
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class EffectiveTerms:
    due_date: dt.date | None
    priority: str
    reminder_plan: list[dict[str, Any]] | None
    note: str


NOTE_SEPARATOR = "\n\n"


def union_of_plans(
    plans: Sequence[list[dict[str, Any]] | None], default_plan: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The reminders of every plan together: None when every source uses the default plan, else each
    rule once (same days and template: recipients joined), a source without a plan bringing the default,
    an empty plan (no reminders) bringing nothing."""
    if all(plan is None for plan in plans):
        return None
    merged: dict[tuple[int, str | None], dict[str, Any]] = {}
    for plan in plans:
        for rule in default_plan if plan is None else plan:
            key = (rule["days"], rule.get("template"))
            entry = merged.setdefault(key, {"days": rule["days"], "recipients": []})
            if rule.get("template") is not None:
                entry["template"] = rule["template"]
            entry["recipients"] = sorted(
                set(entry["recipients"]) | set(rule.get("recipients", [Recipient.LEARNER.value])),
                key=RECIPIENTS.index,
            )
    return sorted(merged.values(), key=lambda r: (-r["days"], r.get("template") or ""))


def effective_terms(
    sources: Sequence[SourceTerms], *, default_plan: list[dict[str, Any]] | None = None
) -> EffectiveTerms:
    """What an assignment's sources together ask: the earliest due date, the highest priority, the union
    of their reminder plans, and their notes joined, newest first. Each source keeps its own values; this
    is the one rule that combines them (the fan-out's recompute writes it, held to it by a test)."""
    dates = [s.due_date for s in sources if s.due_date is not None]
    known = [s.priority for s in sources if s.priority]
    newest_first = sorted(sources, key=lambda s: s.created_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    notes = list(dict.fromkeys(s.note.strip() for s in newest_first if s.note and s.note.strip()))
    return EffectiveTerms(
        due_date=min(dates) if dates else None,
        priority=min(known, key=priority_rank) if known else str(DEFAULT_PRIORITY),
        reminder_plan=union_of_plans(
            [s.reminder_plan for s in sources], DEFAULT_REMINDER_PLAN if default_plan is None else default_plan
        ),
        note=NOTE_SEPARATOR.join(notes),
    )


def default_plan_in_settings(settings: Mapping[str, object]) -> list[dict[str, Any]]:
    """A tenant's default reminder plan from its settings; a malformed one counts as the standard plan."""
    try:
        clean = validate_reminder_plan(settings.get("default_reminder_plan"))
    except ValueError:
        return DEFAULT_REMINDER_PLAN
    return DEFAULT_REMINDER_PLAN if clean is None else clean
