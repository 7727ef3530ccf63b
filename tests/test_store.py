"""The SQLite store: write transactions lock first, a busy database is exit 6."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import ORDER_YAML, run_orderops
from hypothesis import given
from hypothesis import strategies as st

from orderops.store.database import Database


def test_a_write_transaction_holds_the_write_lock_before_its_first_statement(db_path):
    db = Database(str(db_path))
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    with db.transaction(), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # free again once committed
    other.execute("ROLLBACK")
    other.close()
    db.close()


def test_a_read_transaction_does_not_block_writers(db_path):
    db = Database(str(db_path))
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    with db.transaction(write=False):
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()
    db.close()


def test_a_busy_database_waits_then_exits_6_with_one_clear_line(db_path):
    Database(str(db_path)).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_orderops(
            "receive", "-", db=db_path, input=ORDER_YAML.encode(),
            env={"ORDEROPS_BUSY_TIMEOUT": "0.3"},
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 6
    assert result.stderr.startswith(b"error: the database is busy")
    assert result.stderr.count(b"\n") == 1
    assert b"Traceback" not in result.stderr
    again = run_orderops("receive", "-", db=db_path, input=ORDER_YAML.encode())
    assert again.returncode == 0 and again.stdout.startswith(b"received 1 order")


def test_a_bad_busy_timeout_is_bad_usage(db_path):
    result = run_orderops(
        "receive", "-", db=db_path, input=ORDER_YAML.encode(), env={"ORDEROPS_BUSY_TIMEOUT": "-1"}
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == b"error: ORDEROPS_BUSY_TIMEOUT must be a number of seconds from 0, not '-1'\n"
    )


@given(st.datetimes(timezones=st.timezones()))
def test_bulk_inserts_write_utc_times_as_sqlalchemy_does_on_sqlite(moment: datetime) -> None:
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from orderops.store.bulk import _sqlite_utc_text
    from orderops.store.types import UTCDateTime

    process = (
        UTCDateTime()
        .dialect_impl(sqlite_dialect.dialect())
        .bind_processor(sqlite_dialect.dialect())
    )
    assert process is not None
    assert _sqlite_utc_text(moment) == process(moment)
    assert _sqlite_utc_text(None) is None


_UTC_TIMES = st.datetimes(timezones=st.just(UTC))
_ANY_TIMES = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))


@given(st.lists(_UTC_TIMES, max_size=5) | st.lists(_ANY_TIMES | st.none(), max_size=5))
def test_a_column_of_utc_times_is_written_as_each_time_alone_would_be(
    moments: list[datetime | None],
) -> None:
    """The whole-column path (every value a UTC datetime) and the value-by-value one agree."""
    from orderops.store.bulk import _sqlite_utc_text, _sqlite_utc_texts

    assert list(_sqlite_utc_texts(iter(moments))) == [_sqlite_utc_text(m) for m in moments]


def test_a_value_becomes_an_sqlite_literal_only_when_that_is_exact() -> None:
    from orderops.store.driver import sql_literal

    assert sql_literal(None) == "NULL"
    assert sql_literal(0) == "0"
    assert sql_literal(-12) == "-12"
    assert sql_literal(2**63 - 1) == str(2**63 - 1)
    assert sql_literal("it's") == "'it''s'"
    assert sql_literal("") == "''"
    # Bound instead: a NUL (statement text cannot hold it), and anything not int or str.
    assert sql_literal("a\x00b") is None
    assert sql_literal(True) is None
    assert sql_literal(2**63) is None  # SQLite would read it as an inexact REAL
    assert sql_literal(1.5) is None
    assert sql_literal(b"x") is None
