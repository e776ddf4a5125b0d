"""An assignment's status: the seven statuses, their labels, and the one rule that derives status from the facts.

The rule is a table (`STATUS_RULE`), read top to bottom, first match wins. `derive_status` evaluates it
for one assignment in Python; `assignments.selectors` renders the same table as the ORM's CASE, as one
index-friendly WHERE clause per status (`status_conjunction`) and as raw SQL text for the hot queries.
No database here: conditions are plain data (a column, a check) that each renderer translates.
"""

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AssignmentStatus(TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    OVERDUE = "overdue", _("Overdue")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXEMPT = "exempt", _("Exempt")


# The labels are lazy: each reads in the language active where it is shown (str() one for JSON or a cache key).
STATUS_LABELS: dict[str, str | Promise] = {status.value: status.label for status in AssignmentStatus}
# Every status but withdrawn: what the team view and a person's training list show (and may filter by).
OPEN_STATUSES: tuple[str, ...] = (
    AssignmentStatus.ASSIGNED,
    AssignmentStatus.IN_PROGRESS,
    AssignmentStatus.OVERDUE,
    AssignmentStatus.COMPLETED,
    AssignmentStatus.EXPIRED,
    AssignmentStatus.EXEMPT,
)
# No reminder for these (by the scheduler's plan or by hand): nothing is expected of the person.
NOT_REMINDABLE_STATUSES: tuple[str, ...] = (
    AssignmentStatus.WITHDRAWN,
    AssignmentStatus.COMPLETED,
    AssignmentStatus.EXEMPT,
)
# Still to be done (an exempt item is not: nobody expects it while the exemption runs): the team view's "active" count.
UNFINISHED_STATUSES: tuple[str, ...] = (
    AssignmentStatus.ASSIGNED,
    AssignmentStatus.IN_PROGRESS,
    AssignmentStatus.OVERDUE,
)


class Check(StrEnum):
    """What a condition checks about one column; `now` is the instant the status is derived for."""

    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    AFTER_NOW = "after_now"  # value > now (never true for NULL, as in SQL)
    AT_OR_BEFORE_NOW = "at_or_before_now"  # value <= now (never true for NULL)
    POSITIVE = "positive"  # value > 0
    ZERO = "zero"  # value = 0 (progress is never negative)
    EQUALS = "equals"  # value = the atom's `value` (a NOT NULL text column)
    NOT_EQUALS = "not_equals"  # value <> the atom's `value`


_OPPOSITE = {
    Check.IS_NULL: Check.NOT_NULL,
    Check.NOT_NULL: Check.IS_NULL,
    Check.AFTER_NOW: Check.AT_OR_BEFORE_NOW,
    Check.AT_OR_BEFORE_NOW: Check.AFTER_NOW,
    Check.POSITIVE: Check.ZERO,
    Check.ZERO: Check.POSITIVE,
    Check.EQUALS: Check.NOT_EQUALS,
    Check.NOT_EQUALS: Check.EQUALS,
}
_COMPARES_TO_NOW = (Check.AFTER_NOW, Check.AT_OR_BEFORE_NOW)


@dataclass(frozen=True)
class Atom:
    column: str
    check: Check
    value: str | None = None  # what EQUALS / NOT_EQUALS compare with (a constant of the code, never input)

    @property
    def compares_to_now(self) -> bool:
        return self.check in _COMPARES_TO_NOW

    def holds(self, facts: Mapping[str, object], now: dt.datetime) -> bool:
        value = facts[self.column]
        match self.check:
            case Check.IS_NULL:
                return value is None
            case Check.NOT_NULL:
                return value is not None
            case Check.AFTER_NOW:
                return value is not None and value > now  # type: ignore[operator]
            case Check.AT_OR_BEFORE_NOW:
                return value is not None and value <= now  # type: ignore[operator]
            case Check.POSITIVE:
                return value > 0  # type: ignore[operator]
            case Check.ZERO:
                return value == 0
            case Check.EQUALS:
                return value == self.value
            case Check.NOT_EQUALS:
                return value != self.value
        raise AssertionError(self.check)


@dataclass(frozen=True)
class Condition:
    """Any of its atoms holds (a disjunction); a row of the rule holds when all its conditions do."""

    any_of: tuple[Atom, ...]

    def holds(self, facts: Mapping[str, object], now: dt.datetime) -> bool:
        return any(atom.holds(facts, now) for atom in self.any_of)

    def negated(self) -> tuple["Condition", ...]:
        """not (a or b) = (not a) and (not b): one condition per atom."""
        return tuple(_negation(atom) for atom in self.any_of)


def _negation(atom: Atom) -> Condition:
    """A comparison with now is false for NULL too, so its negation is "NULL, or the opposite comparison"."""
    opposite = Atom(atom.column, _OPPOSITE[atom.check], atom.value)
    if atom.check in _COMPARES_TO_NOW:
        return Condition((Atom(atom.column, Check.IS_NULL), opposite))
    return Condition((opposite,))


def _is(column: str, *checks: Check) -> Condition:
    return Condition(tuple(Atom(column, check) for check in checks))


WITHDRAWN = _is("withdrawn_at", Check.NOT_NULL)
COMPLETED = _is("completed_at", Check.NOT_NULL)
STILL_VALID = _is("expires_at", Check.IS_NULL, Check.AFTER_NOW)
PAST_DUE = _is("due_at", Check.AT_OR_BEFORE_NOW)  # due_at is the end of the due day in the person's zone
STARTED = _is("progress", Check.POSITIVE)
# An exemption was granted and has not run out: `exempt_ends_at` is the end of its `until` day in the
# person's zone (NULL: open-ended), so after it the original due date applies again.
EXEMPTED = _is("exempt_at", Check.NOT_NULL)
EXEMPTION_RUNS = _is("exempt_ends_at", Check.IS_NULL, Check.AFTER_NOW)
# Only required items become overdue: optional and hidden ones never do (nor are they chased or flagged).
REQUIRED = Condition((Atom("visibility", Check.EQUALS, "required"),))

# The status rule, first match wins. The last row has no conditions: it is the default.
STATUS_RULE: tuple[tuple[AssignmentStatus, tuple[Condition, ...]], ...] = (
    (AssignmentStatus.WITHDRAWN, (WITHDRAWN,)),
    (AssignmentStatus.COMPLETED, (COMPLETED, STILL_VALID)),
    (AssignmentStatus.EXEMPT, (EXEMPTED, EXEMPTION_RUNS)),
    (AssignmentStatus.EXPIRED, (COMPLETED,)),
    (AssignmentStatus.OVERDUE, (PAST_DUE, REQUIRED)),
    (AssignmentStatus.IN_PROGRESS, (STARTED,)),
    (AssignmentStatus.ASSIGNED, ()),
)


def derive_status(
    *,
    withdrawn_at: dt.datetime | None,
    completed_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    due_at: dt.datetime | None,
    progress: int,
    now: dt.datetime,
    exempt_at: dt.datetime | None = None,
    exempt_ends_at: dt.datetime | None = None,
    visibility: str = "required",
) -> AssignmentStatus:
    """`STATUS_RULE` for one assignment in Python."""
    facts = {
        "withdrawn_at": withdrawn_at,
        "completed_at": completed_at,
        "expires_at": expires_at,
        "due_at": due_at,
        "progress": progress,
        "exempt_at": exempt_at,
        "exempt_ends_at": exempt_ends_at,
        "visibility": visibility,
    }
    for status, conditions in STATUS_RULE:
        if all(condition.holds(facts, now) for condition in conditions):
            return status
    raise AssertionError("the status rule ends with a default row")


@functools.cache
def status_conjunction(status: str) -> tuple[Condition, ...]:
    """The conditions (all must hold) under which `STATUS_RULE` derives `status`, written without CASE so
    that a WHERE clause made of them can use the indexes (due_at, the partial index on completed rows).

    They are the row's own conditions plus, for each earlier row, why that row does not match: a held
    condition contradicts it, or else the negation of its one condition not yet held is added. When
    every earlier row left has several conditions not yet held (exempt: granted and still running;
    overdue: past due and required), the first such row's negation is added as one disjunction
    ("not granted, or run out"), each of its unmet conditions negating to a single condition.
    """
    rows = list(STATUS_RULE)
    index = next((i for i, (row_status, _) in enumerate(rows) if row_status == status), None)
    if index is None:
        raise ValueError(f"{status!r} is not a status; the statuses are {', '.join(AssignmentStatus.values)}")
    held = list(rows[index][1])
    pending = [conditions for _, conditions in rows[:index]]
    while pending:
        before = len(pending)
        for conditions in list(pending):
            if any(_contradicted(held, c) for c in conditions):
                pending.remove(conditions)
                continue
            unmet = [c for c in conditions if not _implied(held, c)]
            if len(unmet) == 1:
                held.extend(n for n in unmet[0].negated() if not _implied(held, n))
                pending.remove(conditions)
        if len(pending) == before:
            for conditions in pending:
                either = _negated_conjunction([c for c in conditions if not _implied(held, c)])
                if either is not None:
                    held.append(either)
                    pending.remove(conditions)
                    break
            else:
                raise ValueError(f"status {status!r} is not one conjunction of the rule's conditions")
    return _simplified(held)


def _negated_conjunction(unmet: list[Condition]) -> Condition | None:
    """not (c1 and c2 …) = (not c1) or (not c2) …, as one condition when each `not ci` is a single one."""
    atoms: list[Atom] = []
    for condition in unmet:
        negation = _simplified(list(condition.negated()))
        if len(negation) != 1:
            return None
        atoms.extend(negation[0].any_of)
    return Condition(tuple(dict.fromkeys(atoms)))


def _implied(held: list[Condition], condition: Condition) -> bool:
    """Some held condition is at least as strict (its atoms are a subset of `condition`'s)."""
    return any(set(h.any_of) <= set(condition.any_of) for h in held)


def _contradicted(held: list[Condition], condition: Condition) -> bool:
    return all(_implied(held, _negation(atom)) for atom in condition.any_of)


def _simplified(held: list[Condition]) -> tuple[Condition, ...]:
    """Drop atoms the other conditions make false, then `x IS NOT NULL` beside a comparison of x with now
    (the comparison is already false for NULL), then repeats."""
    result: list[Condition] = []
    for condition in held:
        others = [h for h in held if h is not condition]
        atoms = tuple(a for a in condition.any_of if not _implied(others, _negation(a))) or condition.any_of
        result.append(Condition(atoms))
    compared = {c.any_of[0].column for c in result if len(c.any_of) == 1 and c.any_of[0].check in _COMPARES_TO_NOW}
    redundant = {Condition((Atom(column, Check.NOT_NULL),)) for column in compared}
    result = [c for c in result if c not in redundant]
    return tuple(dict.fromkeys(result))
