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
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from orderops.errors import DatabaseError, UsageProblem

ENV_DB = "ORDEROPS_DB"
ENV_BUSY = "ORDEROPS_BUSY_TIMEOUT"
DEFAULT_BUSY_SECONDS = 30.0
# Execution option: how a transaction on this connection begins on SQLite.
BEGIN_MODE = "orderops_begin"


# Said whenever the default database cannot be used: how to name another.
NAME_ANOTHER = "give --db FILE or set ORDEROPS_DB"


def default_path() -> Path:
    """The default database file, in the user's data directory (platformdirs).

    Without HOME (nor XDG_DATA_HOME) there is no such directory to trust: a
    DatabaseError says so, rather than a file in whatever home the password
    database names.
    """
    if not os.environ.get("HOME") and not os.environ.get("XDG_DATA_HOME"):
        raise DatabaseError(f"HOME is not set, so there is no default database: {NAME_ANOTHER}")
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
    path = Path(value).expanduser().resolve() if value else default_path()
    return f"sqlite:///{path}"


def prepare_default_folder(url: str) -> None:
    """Make the folder of the default database file, for a command that may create
    it; DatabaseError naming --db/ORDEROPS_DB if that cannot be done."""
    if url != _default_url():
        return
    folder = default_path().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot make the default database's folder {folder}: {exc.strerror}; {NAME_ANOTHER}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseError(
            f"the default database's folder {folder} is not writable; {NAME_ANOTHER}"
        )


def refuse_if_missing(url: str) -> None:
    """For commands that only read: an SQLite file that does not exist is not found."""
    from orderops.errors import NotFound

    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        elsewhere = f", or {NAME_ANOTHER}" if url == _default_url() else ""
        raise NotFound(
            f"no database at {parsed.database}; `orderops receive` creates it "
            f"(or `orderops db upgrade`){elsewhere}"
        )


def _default_url() -> str | None:
    try:
        return f"sqlite:///{default_path()}"
    except DatabaseError:
        return None


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


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for `url`; read_only: for commands that only read, which then
    cannot write (SQLite opens the file read-only or query-only; PostgreSQL
    transactions are read-only)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageProblem(f"--db: not a database URL: {url}") from None
    if parsed.get_backend_name() == "sqlite":
        if read_only and parsed.database and parsed.database != ":memory:":
            return _sqlite_engine(_read_only_url(parsed.database), query_only=True)
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _postgresql_engine(parsed.render_as_string(hide_password=False), read_only)
    raise UsageProblem(f"--db: orderops runs on SQLite or PostgreSQL, not {parsed.drivername}")


def _read_only_url(path: str) -> URL:
    """How a command that only reads opens the SQLite file `path`, never creating it.

    - File and folder writable: `mode=rw` (with query_only set on the
      connection), so that SQLite's WAL files come and go as for any reader.
    - Otherwise `mode=ro`. A database in WAL mode needs its -shm file even to
      read; in a folder we cannot write, with no -wal file there (so no writer
      is connected: a WAL writer always has one), SQLite cannot make it, and
      the file is opened `immutable=1`: read as it stands, without locks. If a
      -wal file is there, its content can only be read through the -shm file,
      and that failing is a DatabaseError that names the folder.
    """
    file = Path(path)
    folder = file.parent
    if os.access(file, os.W_OK) and os.access(folder, os.W_OK | os.X_OK):
        return _sqlite_uri(file, "mode=rw")
    if _opens_read_only(file):
        return _sqlite_uri(file, "mode=ro")
    wal = Path(f"{file}-wal")
    if _in_wal_mode(file) and not wal.exists():
        return _sqlite_uri(file, "mode=ro&immutable=1")
    raise DatabaseError(
        f"cannot read {file} read-only: SQLite needs to write its {file.name}-shm file "
        f"beside it and the folder {folder} is not writable; make the folder writable "
        "or copy the database to one that is"
    )


def _sqlite_uri(file: Path, options: str) -> URL:
    from urllib.parse import quote

    return make_url("sqlite://").set(
        database=f"file:{quote(str(file))}?{options}", query={"uri": "true"}
    )


def _opens_read_only(file: Path) -> bool:
    import sqlite3
    from urllib.parse import quote

    try:
        connection = sqlite3.connect(f"file:{quote(str(file))}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return True


def _in_wal_mode(file: Path) -> bool:
    """Whether the file's header says WAL (bytes 18 and 19 are 2)."""
    try:
        with file.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18:20] == b"\x02\x02"


def _sqlite_engine(url: str | URL, *, query_only: bool = False) -> Engine:
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
        if query_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A read-only engine cannot take the write lock: its transactions are deferred.
        default = "DEFERRED" if query_only else "IMMEDIATE"
        mode = connection.get_execution_options().get(BEGIN_MODE, default)
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


def _postgresql_engine(url: str, read_only: bool = False) -> Engine:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise DatabaseError(
            "PostgreSQL needs the driver: pip install 'orderops[postgres]'"
        ) from None
    seconds = busy_seconds()
    # Waiting on a row lock is bounded like SQLite's busy timeout.
    options = f"-c lock_timeout={int(seconds * 1000)}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    return create_engine(url, connect_args={"connect_timeout": 10, "options": options})
