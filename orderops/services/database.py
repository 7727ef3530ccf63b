"""The database itself: open it for a command, show its schema's state, upgrade it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderops.store.database import Database, translated_errors
from orderops.store.schema import SchemaState, refuse_if_newer, schema_state
from orderops.store.schema import upgrade as upgrade_schema

__all__ = [
    "Database",
    "DatabaseStatus",
    "SchemaUpgrade",
    "database_status",
    "open_database",
    "upgrade_database",
]


def open_database(location: str | None, *, write: bool = True) -> Database:
    """The database at `location` (a path or URL; None: the default).

    For a command that writes, it is created if need be and its schema brought
    up to date. For one that only reads (write=False) it is opened read-only
    and never created or upgraded: a missing or empty database is not found
    (exit 3), another program's or one of an older or newer schema is a
    DatabaseError (exit 6) saying what to do."""
    return Database(location, read_only=not write)


@dataclass(frozen=True)
class DatabaseStatus:
    """Which database a command would use, and how its schema compares with this code's."""

    url: str
    engine: str
    schema: SchemaState

    @property
    def revision(self) -> str | None:
        return self.schema.current

    @property
    def head(self) -> str:
        return self.schema.head

    @property
    def pending(self) -> list[str]:
        return self.schema.pending

    @property
    def newer_than_code(self) -> bool:
        return self.schema.is_newer

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "engine": self.engine,
            "revision": self.revision,
            "head": self.head,
            "pending": self.pending,
            "newer_than_code": self.newer_than_code,
        }

    def refuse_if_newer(self) -> None:
        """DatabaseError (exit 3) if the schema is newer than this orderops knows."""
        refuse_if_newer(self.schema)


def database_status(location: str | None) -> DatabaseStatus:
    """The state of an existing database, read without migrating it (exit 3 if missing)."""
    database = Database(location, migrate=False, read_only=True)
    try:
        with translated_errors(database.url):
            current = schema_state(database.engine)
        return DatabaseStatus(database.safe_url, database.dialect, current)
    finally:
        database.close()


@dataclass(frozen=True)
class SchemaUpgrade:
    before: str | None
    head: str
    upgraded: bool


def upgrade_database(location: str | None) -> SchemaUpgrade:
    """Bring the schema to head (creating the database if need be); DatabaseError if
    the schema is newer than this orderops knows, and then nothing is touched."""
    database = Database(location, migrate=False, create=True)
    try:
        with translated_errors(database.url):
            before = schema_state(database.engine)
            refuse_if_newer(before)
            if before.pending:
                upgrade_schema(database.engine)
        return SchemaUpgrade(before.current, before.head, upgraded=bool(before.pending))
    finally:
        database.close()
