"""The time of an action: always UTC (shown in local time only at the edge)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
