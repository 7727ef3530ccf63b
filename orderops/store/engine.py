"""Where the database is and how to connect to it, per engine.

SQLite gets WAL (readers never block the writer), foreign keys, a busy
timeout, and `BEGIN IMMEDIATE` for every write transaction: the driver's own
BEGIN is deferred until the first write, so a read-then-write transaction in
two processes could both read the same stock and both allocate it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from orderops.errors import DatabaseError, UsageProblem

ENV_DB = "ORDEROPS_DB"
ENV_BUSY = "ORDEROPS_BUSY_TIMEOUT"
DEFAULT_BUSY_SECONDS = 30.0
# Execution option: how a transaction on this connection begins on SQLite.
BEGIN_MODE = "orderops_begin"


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("orderops", appauthor=False) / "orderops.db"


def database_url(db: str | None) -> str:
    """The URL for `--db` (a path or a URL), else $ORDEROPS_DB, else the default file."""
    if db is not None and not db.strip():
        raise UsageProblem("--db is empty: give a file path or a database URL")
    value = db or os.environ.get(ENV_DB) or ""
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError:
            raise UsageProblem(f"--db: not a database URL: {value}") from None
        return value
    if value:
        path = Path(value).expanduser().resolve()
    else:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def refuse_if_missing(url: str) -> None:
    """For commands that only read: an SQLite file that does not exist is not found."""
    from orderops.errors import NotFound

    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        raise NotFound(
            f"no database at {parsed.database}; `orderops receive` creates it "
            "(or `orderops db upgrade`)"
        )


def busy_seconds() -> float:
    raw = os.environ.get(ENV_BUSY, "")
    try:
        seconds = float(raw) if raw else DEFAULT_BUSY_SECONDS
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise UsageProblem(f"{ENV_BUSY} must be a number of seconds from 0, not {raw!r}")
    return seconds


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageProblem(f"--db: not a database URL: {url}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _postgresql_engine(parsed.render_as_string(hide_password=False))
    raise UsageProblem(f"--db: orderops runs on SQLite or PostgreSQL, not {parsed.drivername}")


def _sqlite_engine(url: str) -> Engine:
    seconds = busy_seconds()
    engine = create_engine(url, connect_args={"timeout": seconds})

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def use_wal(engine: Engine) -> None:
    """Put an SQLite file in WAL mode (kept in the file), once it is known to be ours."""
    if not is_sqlite(engine):
        return
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        assert driver is not None
        if driver.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            driver.execute("PRAGMA journal_mode = WAL")


# Pages SQLite may keep per connection for a bulk transaction (negative: KiB).
BULK_CACHE_KIB = 65536


def widen_cache(connection: Connection, kib: int = BULK_CACHE_KIB) -> None:
    """Let a bulk write keep its pages in memory (SQLite's default cache is 2 MiB).

    A `process` chunk touches thousands of scattered pages (orders, and the
    indexes of events, allocations and movements); with the default cache it
    spills them to the WAL and reads them back. PostgreSQL needs nothing here.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{kib}")


def defer_checkpoints(connection: Connection, pages: int) -> None:
    """Let SQLite's WAL grow to `pages` pages before a commit copies it back into the file.

    By default every commit past 1000 pages (4 MB) copies the WAL back, with an
    fsync. A run of bulk transactions that each rewrite thousands of the same
    pages (`process` chunks) then copies those pages once per transaction;
    deferred, a page rewritten by several transactions is copied once. The WAL
    is still bounded, and the last connection to close copies what is left and
    removes it. PostgreSQL needs nothing here.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {pages}")


def _postgresql_engine(url: str) -> Engine:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise DatabaseError(
            "PostgreSQL needs the driver: pip install 'orderops[postgres]'"
        ) from None
    seconds = busy_seconds()
    return create_engine(
        url,
        connect_args={
            "connect_timeout": 10,
            # Waiting on a row lock is bounded like SQLite's busy timeout.
            "options": f"-c lock_timeout={int(seconds * 1000)}",
        },
    )
