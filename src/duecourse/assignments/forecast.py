"""The forecast: will an open required assignment be finished by its due date at the person's pace?

Pure rules, no database; `selectors.at_risk_filter` is the same decision in SQL (a property test holds
the two together). The rule, with examples, is in docs/assignments.md ("Forecast").

- **Working days** are Monday to Friday in the person's time zone, counted from *today* to the due
  date, both included: today counts while it is a weekday (the due date is due at the end of its day,
  so the whole of both days can still be used). A due date on a weekend adds no day of its own.
- **Not started** means progress intake has recorded nothing for the current cycle (no trend): its
  need is its remaining minutes (the catalog estimates of the required courses not yet completed:
  a course's own estimate, a path's required courses, a skill's courses) over the tenant's
  `learning_minutes_per_day`, rounded up to whole days. It is at risk when fewer working days are left
  than it needs. No estimate (0 minutes) is never at risk by this rule.
- **Started** means the current cycle has a trend: the pace in percent per day from the cycle's first
  sample (the percent the cycle opened at, recorded with the first report) to the latest, and the
  projected finish the latest sample + what is left at that pace, as a date in the person's zone. It is
  at risk when that date is after the due date, or when it is **stalled**: no gain since the first
  sample, or no progress reported for STALLED_AFTER_DAYS.
"""

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from duecourse.core.timezones import zone_of

DEFAULT_LEARNING_MINUTES_PER_DAY = 30
MIN_LEARNING_MINUTES_PER_DAY = 1
MAX_LEARNING_MINUTES_PER_DAY = 480
# The projected finish of a stalled trend: it never finishes (stored as a date, so later than any due date).
NEVER = dt.date.max
FORECAST_STATUSES = ("assigned", "in_progress")  # the open statuses a forecast applies to
WEEKDAYS = 5  # Monday (0) to Friday (4)
STALLED_AFTER_DAYS = 14  # started, then nothing reported for this long: stalled


def learning_minutes_per_day_in(settings: Mapping[str, object] | None) -> int:
    """A tenant's `learning_minutes_per_day` from its settings; anything malformed is the default."""
    value = (settings or {}).get("learning_minutes_per_day", DEFAULT_LEARNING_MINUTES_PER_DAY)
    if isinstance(value, int) and not isinstance(value, bool):
        return (
            value
            if MIN_LEARNING_MINUTES_PER_DAY <= value <= MAX_LEARNING_MINUTES_PER_DAY
            else DEFAULT_LEARNING_MINUTES_PER_DAY
        )
    return DEFAULT_LEARNING_MINUTES_PER_DAY


def _is_working_day(day: dt.date) -> bool:
    return day.weekday() < WEEKDAYS


def working_days(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days from `start` to `end`, both included (0 when `end` is before `start`)."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    return weeks * WEEKDAYS + sum(1 for i in range(rest) if _is_working_day(start + dt.timedelta(days=i)))


def first_working_day(day: dt.date) -> dt.date:
    """`day` if it is a weekday, else the Monday after it."""
    return day if _is_working_day(day) else day + dt.timedelta(days=7 - day.weekday())


def nth_working_day(today: dt.date, n: int) -> dt.date:
    """The `n`-th (1-based) working day counting from `today`: `working_days(today, d) >= n` exactly when
    `d` is on or after it (the SQL form compares the due date with it)."""
    start = first_working_day(today)
    weeks, extra = divmod(n - 1, WEEKDAYS)
    skip_weekend = 2 if extra > WEEKDAYS - 1 - start.weekday() else 0
    return start + dt.timedelta(days=7 * weeks + extra + skip_weekend)


def needed_days(minutes: int, per_day: int) -> int:
    """Whole working days `minutes` of learning take at `per_day` minutes a day (0 for no estimate)."""
    return math.ceil(max(minutes, 0) / per_day)


def local_today(now: dt.datetime, timezone_name: str | None) -> dt.date:
    return now.astimezone(zone_of(timezone_name)).date()


@dataclass(frozen=True)
class Trend:
    """A started cycle's pace (percent per day, 0 without gain), projected finish (`NEVER` without gain)
    and its latest sample's time."""

    pace: float
    projected_finish: dt.date
    latest_at: dt.datetime


def trend_of(samples: Sequence[tuple[dt.datetime, int]], timezone_name: str | None) -> Trend | None:
    """The trend of a cycle's samples `(at, percent)` in time order: from the first to the latest.

    None with fewer than two samples (no pace yet). No gain is stalled. A gain within no time at all
    (the same instant) finishes on the latest sample's day."""
    if len(samples) < 2:
        return None
    (first_at, first), (last_at, last) = samples[0], samples[-1]
    gain = last - first
    if gain <= 0:
        return Trend(pace=0.0, projected_finish=NEVER, latest_at=last_at)
    elapsed_days = (last_at - first_at).total_seconds() / 86400
    if elapsed_days <= 0 or last >= 100:
        return Trend(pace=float(gain), projected_finish=local_today(last_at, timezone_name), latest_at=last_at)
    pace = gain / elapsed_days
    finish_at = last_at + dt.timedelta(days=(100 - last) / pace)
    try:
        finish = local_today(finish_at, timezone_name)
    except OverflowError:
        finish = NEVER
    return Trend(pace=pace, projected_finish=finish, latest_at=last_at)


@dataclass(frozen=True)
class Forecast:
    at_risk: bool
    reason: str | None


NOT_AT_RISK = Forecast(False, None)


def format_minutes(minutes: int) -> str:
    """45 min, 3 h, 2 h 30 min."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if rest:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    return _("%(hours)s h") % {"hours": hours}


def format_pace(pace: float) -> str:
    return f"{pace:.0f}" if pace >= 10 or pace == int(pace) else f"{pace:.1f}"


def _day(day: dt.date) -> str:
    return date_format(day, "j M")


def stored_remaining(*, cycle: int, forecast_cycle: int | None, estimated: int, remaining: int | None) -> int:
    """The minutes still to learn as stored: what intake last computed for this cycle, else the whole estimate."""
    return remaining if forecast_cycle == cycle and remaining is not None else estimated


def stored_trend(
    *,
    cycle: int,
    forecast_cycle: int | None,
    pace: float | None,
    finish: dt.date | None,
    latest_at: dt.datetime | None,
) -> Trend | None:
    """The trend as stored: only the current cycle's (a retake or recurrence starts without one)."""
    if forecast_cycle != cycle or pace is None or finish is None or latest_at is None:
        return None
    return Trend(pace=pace, projected_finish=finish, latest_at=latest_at)


def assess(
    *,
    status: str,
    visibility: str,
    due_date: dt.date | None,
    today: dt.date,
    now: dt.datetime,
    remaining_minutes: int,
    per_day: int,
    progress: int,
    trend: Trend | None,
) -> Forecast:
    """The decision and its reason in words. `today` is the person's local date at `now`; `trend` None: not
    started."""
    if status not in FORECAST_STATUSES or visibility != "required" or due_date is None:
        return NOT_AT_RISK
    if trend is None:
        needs = needed_days(remaining_minutes, per_day)
        left = working_days(today, due_date)
        if needs == 0 or left >= needs:
            return NOT_AT_RISK
        reason = ngettext(
            "not started; needs %(time)s; %(days)s working day left",
            "not started; needs %(time)s; %(days)s working days left",
            left,
        ) % {"time": format_minutes(remaining_minutes), "days": left}
        return Forecast(True, reason)
    due = _day(due_date)
    if trend.projected_finish == NEVER:
        return Forecast(
            True,
            _("at %(progress)s %% with no gain since it started; due %(due)s") % {"progress": progress, "due": due},
        )
    if trend.latest_at <= now - dt.timedelta(days=STALLED_AFTER_DAYS):
        last = _day(trend.latest_at.date())
        return Forecast(
            True,
            _("at %(progress)s %%, no progress since %(last)s; due %(due)s")
            % {"progress": progress, "last": last, "due": due},
        )
    if trend.projected_finish <= due_date:
        return NOT_AT_RISK
    return Forecast(
        True,
        _("at %(progress)s %% and %(pace)s %%/day: finishes about %(finish)s, due %(due)s")
        % {"progress": progress, "pace": format_pace(trend.pace), "finish": _day(trend.projected_finish), "due": due},
    )


def assess_stored(row, *, per_day: int, today: dt.date, now: dt.datetime) -> Forecast:
    """`assess` over an assignment's stored facts (a model with `status` annotated, or an `AssignmentRow`);
    `today` is the person's local date."""
    return assess(
        status=row.status,
        visibility=row.visibility,
        due_date=row.due_date,
        today=today,
        now=now,
        remaining_minutes=stored_remaining(
            cycle=row.cycle,
            forecast_cycle=row.forecast_cycle,
            estimated=row.estimated_minutes,
            remaining=row.remaining_minutes,
        ),
        per_day=per_day,
        progress=row.progress,
        trend=stored_trend(
            cycle=row.cycle,
            forecast_cycle=row.forecast_cycle,
            pace=row.trend_pace,
            finish=row.projected_finish,
            latest_at=row.progress_at,
        ),
    )
