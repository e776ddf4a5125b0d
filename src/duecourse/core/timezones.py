"""Time zones by name, and the one rule for when a date ends somewhere (used in Python and in SQLite SQL)."""

import datetime as dt
import zoneinfo


def zone_of(name: str | None) -> dt.tzinfo:
    """The IANA zone, or UTC for a missing or unknown name (names are validated where they are stored)."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def organisation_timezone_in(settings: dict | None) -> str:
    """A tenant's own time zone (`settings["timezone"]`, set on the settings page): the zone of the
    organisation's calendar day (its daily compliance snapshot). UTC when unset or unknown."""
    name = (settings or {}).get("timezone")
    if isinstance(name, str) and zone_of(name) is not dt.UTC:  # zone_of answers dt.UTC only for a bad name
        return name
    return "UTC"


def local_day_end(day: dt.date, timezone_name: str | None) -> dt.datetime:
    """The UTC instant at which `day` ends for someone in `timezone_name` (local midnight after it)."""
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone_of(timezone_name))
    return next_midnight.astimezone(dt.UTC)
