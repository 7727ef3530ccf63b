"""One open database: its engine, its schema kept current, its transactions."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from orderops.errors import Conflict, DatabaseBusy, DatabaseError
from orderops.store import schema
from orderops.store.engine import (
    BEGIN_MODE,
    busy_seconds,
    database_url,
    make_engine,
    prepare_default_folder,
    refuse_if_missing,
    use_wal,
)

T = TypeVar("T")


class Database:
    """One database, opened for a command.

    By default it may be created and its schema is brought up to date (for
    commands that write). `read_only` is for commands that only read: a
    missing file is NotFound, the file is opened read-only (see
    `engine.make_engine`), and the schema must already be this orderops' own
    (`schema.refuse_unless_readable`): nothing is created or upgraded. With
    migrate=False the schema is left as it is, whatever it is (`db status`,
    `db upgrade`).
    """

    def __init__(
        self,
        db: str | None = None,
        *,
        migrate: bool = True,
        create: bool = True,
        read_only: bool = False,
    ) -> None:
        self.url = database_url(db)
        if read_only or not create:
            refuse_if_missing(self.url)
        else:
            prepare_default_folder(self.url)
        with translated_errors(self.url):
            self.engine: Engine = make_engine(self.url, read_only=read_only)
        # Write transactions committed so far: once one has, a failure of what follows
        # (printing the result) must not be reported as if nothing had been written.
        self.commits = 0
        try:
            with translated_errors(self.url):
                if read_only:
                    if migrate:
                        schema.refuse_unless_readable(self.engine, self.where)
                elif migrate:
                    schema.ensure_current(self.engine)
                    use_wal(self.engine)
        except BaseException:
            # No one gets this Database to close: close its connections here.
            self.engine.dispose()
            raise

    @property
    def where(self) -> str:
        """The database for messages: its file, or its URL without the password."""
        from sqlalchemy.engine import make_url

        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            return parsed.database
        return self.safe_url

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return _safe(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction: committed on success, else rolled back.

        A write transaction takes the write lock first (SQLite BEGIN
        IMMEDIATE); a read one does not, so reports never block the work.
        """
        engine = self.engine
        if not write:
            engine = engine.execution_options(**{BEGIN_MODE: "DEFERRED"})
        with (
            translated_errors(self.url),
            Session(engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            session.connection()  # begin now: a write transaction locks before it reads
            yield session
        if write:
            self.commits += 1

    @contextmanager
    def bulk_run(self) -> Iterator[None]:
        """For the length of a bulk run (a large file received, every order
        processed), pause the cyclic garbage collector.

        A run keeps hundreds of thousands of small objects (rows, records,
        decisions) alive until they are written, and every pass of the
        collector walks them: at the default pace a fifth of the CPU time of
        receiving a large file. And a run makes next to no reference cycles
        (none per order, a few per batch at most), so nothing piles up;
        reference counting frees the rest as ever.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if enabled:
                gc.enable()

    def refresh_statistics(self, connection: Connection) -> None:
        """Let the query planner see the tables' new sizes (after a large import).

        In the caller's write transaction, before its commit: work after a commit
        could fail (a busy database) and turn a success into a failure.
        """
        if self.dialect == "sqlite":
            # A bounded sample per index: milliseconds, and good enough for the planner.
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE orders, order_lines, order_events")

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a write transaction; if the database is busy, wait and retry.

        The driver already waits up to the busy timeout for the lock; on top
        of that a busy error (a lock that came free too late, a WAL snapshot
        gone stale) retries the whole transaction with a growing pause, for
        at most the busy timeout again. Then DatabaseBusy (exit 6).
        """
        deadline: float | None = None
        pause = 0.02
        while True:
            try:
                with self.transaction() as session:
                    return work(session)
            except DatabaseBusy:
                if deadline is None:
                    deadline = time.monotonic() + busy_seconds()
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause * (1 + random.random()))
                pause = min(pause * 2, 1.0)

    @property
    def reads_before_locking(self) -> bool:
        """Whether `write_after_reading` can be used: SQLite, whose WAL snapshots tell
        a stale read at the first write. (PostgreSQL work locks the rows it reads.)"""
        return self.dialect == "sqlite"

    def write_after_reading(self, work: Callable[[Session], T]) -> T:
        """Run `work` once, in a transaction that reads without the write lock and
        takes it at its first write: other writers wait only while it writes.

        SQLite only (BEGIN DEFERRED). If another connection has written since
        this transaction began reading, or is writing, SQLite refuses the first
        write at once: DatabaseBusy, with nothing written; the caller does the
        work again with `write`, which takes the lock first.
        """
        if not self.reads_before_locking:
            raise ValueError(f"{self.dialect} locks rows as it reads them: use write()")
        with self.transaction(write=False) as session:
            result = work(session)
        self.commits += 1
        return result

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """Driver errors become DatabaseError / Conflict with a one-line message."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"the database refused the change: {_first_line(exc)}") from exc
    except OperationalError as exc:
        message = _first_line(exc)
        lowered = message.lower()
        if any(word in lowered for word in _BUSY_WORDS):
            raise DatabaseBusy(
                "the database is busy: another orderops held it longer than the busy "
                "timeout (ORDEROPS_BUSY_TIMEOUT seconds); nothing was written, try again"
            ) from exc
        raise DatabaseError(f"cannot use the database {_safe(url)}: {message}") from exc
    except DBAPIError as exc:
        raise DatabaseError(f"database error: {_first_line(exc)}") from exc


# SQLite: "database is locked"/"busy"; PostgreSQL: lock_timeout, deadlock, serialization.
_BUSY_WORDS = ("locked", "busy", "lock timeout", "deadlock detected", "could not serialize")


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
