"""The SQLite store: write transactions lock first, a busy database is exit 6."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from conftest import ON_POSTGRES, ORDER_YAML, run_orderops

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


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL stores times as timestamps, not text")
def test_every_time_is_stored_in_one_text_shape_so_that_times_compare_as_text(cli, rows):
    """SQLite compares times as text: whichever path wrote a time (bulk receive, process,
    stock import, a single hold), it has the same shape, microseconds included even at a
    whole second (ORDER_YAML is placed at 14:03:00), and UTC."""
    stock = "sku,location,on_hand\nTEA-EARLGREY-100,A-01-1,5\nMUG-WHITE,A-01-2,5\n"
    assert cli("stock", "import", "-", input=stock).exit_code == 0
    assert cli("receive", "-", input=ORDER_YAML).exit_code == 0
    assert cli("receive", "-", input=ORDER_YAML.replace('"1001"', '"1002"')).exit_code == 0
    assert cli("process").exit_code == 0
    assert cli("hold", "1002", "--reason", "call the customer").exit_code == 0
    times = rows(
        "SELECT placed_at FROM orders UNION ALL SELECT received_at FROM orders "
        "UNION ALL SELECT updated_at FROM orders UNION ALL SELECT at FROM order_events "
        "UNION ALL SELECT at FROM stock_movements"
    )
    assert len(times) == 6 + 5 + 6  # 3 per order; receive, allocate, hold; import, allocate
    shape = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
    assert [t for (t,) in times if not shape.fullmatch(t)] == []
    assert rows("SELECT DISTINCT placed_at FROM orders") == [("2026-11-20 13:03:00.000000",)]


def test_text_with_quotes_and_placeholders_is_stored_exactly_as_given(cli):
    """Values may be written into bulk statements as literals: a quote, a `?`, a `%` or
    a `:name` in a value must neither break the statement nor change the text."""
    tricky = "O'Brien ?% :name '); DROP TABLE orders; --"
    received = cli(
        "--actor", tricky, "receive", "--order-number", "1001", "--customer-name", tricky,
        "--address1", tricky, "--city", "Oslo", "--country", "NO", "--line", "TEA:1",
    )  # fmt: skip
    assert received.exit_code == 0, received.output
    tracked = json.loads(cli("track", "1001", "--json").stdout)
    assert (tracked["customer_name"], tracked["address1"]) == (tricky, tricky)
    assert tracked["events"][0]["actor"] == tricky
