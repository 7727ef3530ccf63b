"""Dates and times typed by a user as an option (`hold --until`, `export --since`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from orderops.errors import UsageProblem
from orderops.formats.records import (
    FIRST_YEAR,
    LAST_YEAR,
    FieldError,
    parse_timestamp,
    to_utc,
)


def parse_moment(value: str, *, option: str) -> datetime:
    """An ISO 8601 date or date-time, in UTC; without an offset it is local time.
    UsageProblem naming `option` if it is not one."""
    try:
        return to_utc(parse_timestamp(value))
    except FieldError as exc:
        raise UsageProblem(f"{option} {value!r} {exc}") from None


def parse_bound(value: str | None, *, option: str, end_of_day: bool) -> datetime | None:
    """One end of a time window, in UTC. A date means a whole day in local time:
    its start, or with end_of_day the start of the next day; a date-time is exact.
    A date at the calendar's edge (`--until 9999-12-31`) means no bound on that side,
    or, past the other end (`--since 9999-12-31`), a window nothing falls in."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return parse_moment(value, option=option)
    if day.year < FIRST_YEAR:
        return None if not end_of_day else datetime.min.replace(tzinfo=UTC)
    if day.year > LAST_YEAR:
        return None if end_of_day else datetime.max.replace(tzinfo=UTC)
    if end_of_day:
        day += timedelta(days=1)
    return to_utc(datetime.combine(day, time()))
