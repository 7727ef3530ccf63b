"""The schema's version: read it, upgrade to head, refuse a newer database.

Opening a database must stay cheap, so the known revisions are listed here
and Alembic is imported only when there is something to upgrade (a new
database is created at head without it); a test checks this list against
the migration scripts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from orderops.errors import DatabaseError

# Every revision in `migrations/versions`, oldest first.
REVISIONS = ("0001", "0002", "0003", "0004")
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
    """Bring the schema to head in one write transaction that first takes the
    write lock, then re-reads the version: two processes opening a new database
    at once migrate it once, and the second finds it current."""
    with engine.begin() as connection:
        lock_for_migration(connection)
        state = SchemaState(_read_version(connection), HEAD)
        refuse_if_newer(state)
        if state.current is None:
            refuse_if_foreign(connection)
            create_at_head(connection)
            return
        if not state.pending:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "orderops.store:migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def create_at_head(connection: Connection) -> None:
    """Give a new, empty database the schema at head in one step.

    The tables as `tables` declares them, and Alembic's version table saying
    head: the schema the migration scripts build from empty (a test compares
    the two, statement by statement), as Alembic's own recipe for a new
    database does, without importing Alembic and replaying every revision: on
    first use that cost more than receiving a few thousand orders. The
    migrations upgrade databases made by an older orderops.
    """
    from sqlmodel import SQLModel

    import orderops.store.tables  # noqa: F401  (declares the tables)

    SQLModel.metadata.create_all(connection)
    connection.execute(text(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    ))  # fmt: skip
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD}
    )


def ensure_current(engine: Engine) -> None:
    """Upgrade a database that is behind; refuse one that is ahead, or not ours.

    The common case, a current database, costs one read and no Alembic import.
    """
    state = schema_state(engine)
    refuse_if_newer(state)
    if state.pending:
        upgrade(engine)


def refuse_unless_readable(engine: Engine, where: str) -> None:
    """For commands that only read, which never create or upgrade a schema: the
    database must hold this orderops' schema as it is. An empty database is not
    found (exit 3), one with other tables or an older or newer schema is a
    DatabaseError (exit 6); none of them is touched."""
    state = schema_state(engine)
    refuse_if_newer(state)
    if state.current is None:
        with engine.connect() as connection:
            refuse_if_foreign(connection)
        from orderops.errors import NotFound

        raise NotFound(
            f"{where} holds no orderops database (it is empty); `orderops receive` or "
            "`orderops db upgrade` creates one"
        )
    if state.pending:
        raise DatabaseError(
            f"the database's schema ({state.current}) is older than this orderops "
            f"({HEAD}); run `orderops db upgrade` first (commands that only read "
            "do not upgrade it)"
        )


def refuse_if_foreign(connection: Connection) -> None:
    """A database with tables but no orderops schema belongs to something else."""
    from sqlalchemy import inspect

    tables = sorted(inspect(connection).get_table_names())
    if tables:
        named = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise DatabaseError(
            f"the database holds other tables ({named}) and no orderops schema; "
            "point --db at an orderops database or a new file"
        )


def lock_for_migration(connection: Connection) -> None:
    """SQLite's BEGIN IMMEDIATE already holds the write lock; PostgreSQL needs a
    lock of its own, since DDL does not conflict until it is too late."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7301190401)"))


def _read_version(connection: Connection) -> str | None:
    if "alembic_version" not in _table_names(connection):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _table_names(connection: Connection) -> list[str]:
    from sqlalchemy import inspect

    return inspect(connection).get_table_names()


def _missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "no such table" in message or "does not exist" in message
