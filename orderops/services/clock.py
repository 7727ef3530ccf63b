"""The time of an action: always UTC (shown in local time only at the edge)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_text(moment: datetime) -> str:
    """A stored (UTC) time as the machine's local clock shows it, to the minute. Where
    no local time can be had (a TZ offset of a day or more, a time at the calendar's
    edge), it is shown in UTC, saying so: a time is never a reason to fail."""
    # isoformat, not strftime: that writes the year 2 as "2", not "0002".
    try:
        return moment.astimezone().replace(tzinfo=None).isoformat(" ", "minutes")
    except (ValueError, OverflowError):
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "minutes") + " UTC"
