"""Locks that make whole runs take turns, where row locks are not enough."""

from __future__ import annotations

from sqlalchemy import Connection, text

# pg_advisory_xact_lock keys; any numbers unique to orderops.
_RECEIVING = 7301190402


def serialize_receiving(connection: Connection) -> None:
    """One receiving run at a time. SQLite's BEGIN IMMEDIATE already does it; on
    PostgreSQL two runs of the same file would both find its orders new and the
    second fail on the unique order number, instead of skipping them."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RECEIVING})
