"""Dates and times typed by a user as an option (`hold --until`, `export --since`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from orderops.errors import UsageProblem
from orderops.formats.records import FieldError, parse_timestamp, to_utc


def parse_moment(value: str, *, option: str) -> datetime:
    """An ISO 8601 date or date-time, in UTC; without an offset it is local time.
    UsageProblem naming `option` if it is not one."""
    try:
        return to_utc(parse_timestamp(value))
    except FieldError as exc:
        raise UsageProblem(f"{option} {value!r} {exc}") from None


def parse_bound(value: str | None, *, option: str, end_of_day: bool) -> datetime | None:
    """One end of a time window, in UTC. A date means a whole day in local time:
    its start, or with end_of_day the start of the next day; a date-time is exact."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return parse_moment(value, option=option)
    if end_of_day:
        day += timedelta(days=1)
    return datetime.combine(day, time()).astimezone().astimezone(UTC)
