"""The schema's version: read it, upgrade to head, refuse a newer database.

Opening a database must stay cheap, so the known revisions are listed here
and Alembic is imported only when there is something to upgrade; a test
checks this list against the migration scripts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from orderops.errors import DatabaseError

# Every revision in `migrations/versions`, oldest first.
REVISIONS = ("0001", "0002")
HEAD = REVISIONS[-1]


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def is_newer(self) -> bool:
        return self.current is not None and self.current not in REVISIONS

    @property
    def pending(self) -> list[str]:
        if self.is_newer:
            return []
        start = 0 if self.current is None else REVISIONS.index(self.current) + 1
        return list(REVISIONS[start:])


def schema_state(engine: Engine) -> SchemaState:
    from orderops.store.engine import BEGIN_MODE

    with engine.connect().execution_options(**{BEGIN_MODE: "DEFERRED"}) as connection:
        try:
            with connection.begin():
                current = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
        except DBAPIError as exc:
            if not _missing_table(exc):
                raise
            current = None
    return SchemaState(current, HEAD)


def refuse_if_newer(state: SchemaState) -> None:
    if state.is_newer:
        raise DatabaseError(
            f"the database's schema ({state.current}) is newer than this orderops knows "
            f"(up to {HEAD}); upgrade orderops, the database was not touched"
        )


def upgrade(engine: Engine) -> None:
    """Bring the schema to head, in one write transaction (safe to race)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "orderops.store:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_current(engine: Engine) -> None:
    """Upgrade a database that is behind; refuse one that is ahead."""
    state = schema_state(engine)
    refuse_if_newer(state)
    if state.pending:
        upgrade(engine)


def _missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "no such table" in message or "does not exist" in message
