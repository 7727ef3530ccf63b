"""`orderops process`: verify, allocate whole orders, backorder, hold; cancel frees."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    EXAMPLE_ORDERS,
    EXAMPLES,
    ON_POSTGRES,
    before_statement,
    generic_csv,
    moves_orders,
    run_orderops,
    sqlite_only,
    write_lock_held,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

Cli = Callable[..., Any]
Rows = Callable[..., list[tuple[Any, ...]]]


def order_yaml(number: str, *lines: tuple[str, int], **fields: str) -> str:
    values = {
        "customer_name": "Ada Lovelace", "address1": "12 St James's Square", "city": "London",
        "postal_code": "SW1Y 4JH", "country": "GB", "placed_at": "2026-11-20T10:00:00Z",
    } | fields  # fmt: skip
    text = f'- order_number: "{number}"\n'
    text += "".join(f"  {k}: {json.dumps(v)}\n" for k, v in values.items() if v is not None)
    text += "  lines:\n"
    text += "".join(f"    - {{sku: {sku}, qty: {qty}}}\n" for sku, qty in lines)
    return text


@pytest.fixture
def shop(cli: Cli, order_file: Callable[..., Path]) -> Callable[..., None]:
    """Stock a few SKUs (sku=units in bin A-01-1, or sku@BIN=units) and receive orders."""

    def setup(stock: dict[str, int], *orders: str) -> None:
        csv = "sku,location,on_hand\n"
        for key, units in stock.items():
            sku, _, location = key.partition("@")
            csv += f"{sku},{location or 'A-01-1'},{units}\n"
        assert cli("stock", "import", str(order_file(csv, suffix=".csv"))).exit_code == 0
        if orders:
            result = cli("receive", str(order_file("".join(orders))))
            assert result.exit_code == 0, result.output

    return setup


def statuses(rows: Rows) -> dict[str, str]:
    return dict(rows("SELECT order_number, status FROM orders"))  # type: ignore[arg-type]


def test_the_readme_main_job_makes_the_example_orders_ready_or_backordered(
    cli: Cli, rows: Rows
) -> None:
    assert cli("receive", *EXAMPLE_ORDERS).exit_code == 0
    assert cli("stock", "import", str(EXAMPLES / "stock.csv")).exit_code == 0
    result = cli("process")
    assert result.exit_code == 0, result.output
    assert result.stdout == "processed 5 orders: 3 ready, 2 backordered, 0 held\n"
    # 1002 has priority 1, so it takes the sencha before 1004 can.
    assert statuses(rows) == {
        "1001": "ready", "1002": "ready", "1003": "backordered", "1004": "backordered",
        "2001": "ready",
    }  # fmt: skip
    assert rows("SELECT sku, sum(qty) FROM allocations GROUP BY sku ORDER BY sku") == [
        ("MUG-WHITE", 1), ("TEA-ASSAM-250", 1), ("TEA-EARLGREY-100", 2), ("TEA-SENCHA-50", 3),
    ]  # fmt: skip


def test_an_order_is_allocated_whole_or_not_at_all(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 5, "MUG": 0}, order_yaml("1", ("TEA", 2), ("MUG", 1)))
    assert cli("process").exit_code == 0
    assert statuses(rows) == {"1": "backordered"}
    assert rows("SELECT sku, allocated FROM stock ORDER BY sku") == [("MUG", 0), ("TEA", 0)]
    assert rows("SELECT count(*) FROM allocations") == [(0,)]


def test_orders_go_highest_priority_then_earliest_ship_by_then_earliest_placed(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop(
        {"TEA": 1},
        order_yaml("placed-first", ("TEA", 1), placed_at="2026-11-01T00:00:00Z"),
        order_yaml("ships-first", ("TEA", 1), ship_by="2026-11-25"),
        order_yaml("urgent", ("TEA", 1), priority="2", ship_by="2026-12-31"),
    )
    result = cli("process", "--json")
    assert [o["order_number"] for o in json.loads(result.stdout)["orders"]] == [
        "urgent", "ships-first", "placed-first",
    ]  # fmt: skip
    assert statuses(rows)["urgent"] == "ready"
    shop({"TEA": 2})
    assert cli("process").stdout.startswith("processed 2 orders: 1 ready, 1 backordered")
    assert statuses(rows) == {
        "urgent": "ready", "ships-first": "ready", "placed-first": "backordered",
    }  # fmt: skip


def test_a_line_takes_the_fullest_bin_first_and_splits_across_bins_when_needed(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA@A-01-1": 2, "TEA@A-10-1": 5, "TEA@B-01-1": 2}, order_yaml("1", ("TEA", 8)))
    assert cli("process").exit_code == 0
    assert rows("SELECT location, qty FROM allocations ORDER BY id") == [
        ("A-10-1", 5), ("A-01-1", 2), ("B-01-1", 1),
    ]  # fmt: skip
    assert rows("SELECT location, allocated_delta FROM stock_movements WHERE order_id IS NOT NULL "
                "ORDER BY id") == [("A-10-1", 5), ("A-01-1", 2), ("B-01-1", 1)]  # fmt: skip


def test_orders_that_cannot_be_verified_are_held_with_the_reason(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop(
        {"TEA": 10},
        order_yaml("unknown-sku", ("TEA", 1), ("NOPE-1", 1)),
        order_yaml("no-postcode", ("TEA", 1), postal_code=None),
        order_yaml("hong-kong", ("TEA", 1), postal_code=None, country="HK"),
    )
    result = cli("process")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "processed 3 orders: 1 ready, 0 backordered, 2 held\n"
        "  held unknown-sku: unknown SKU NOPE-1\n"
        "  held no-postcode: postal code required for GB\n"
    )
    assert rows("SELECT order_number, status, held_from, hold_reason FROM orders ORDER BY 1") == [
        ("hong-kong", "ready", None, ""),
        ("no-postcode", "on_hold", "received", "postal code required for GB"),
        ("unknown-sku", "on_hold", "received", "unknown SKU NOPE-1"),
    ]
    track = json.loads(cli("track", "unknown-sku", "--json").stdout)
    assert track["events"][-1]["detail"] == {"reason": "unknown SKU NOPE-1"}


def test_an_incomplete_address_is_held_naming_what_is_missing(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 1}, order_yaml("1", ("TEA", 1)))
    rows("UPDATE orders SET city = '', address1 = ' '")
    result = cli("process", "--json")
    assert json.loads(result.stdout)["orders"] == [
        {"order_number": "1", "outcome": "held", "reason": "address incomplete: address1, city"}
    ]


def test_holds_whose_date_has_passed_are_released_first(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 5}, order_yaml("past", ("TEA", 1)), order_yaml("future", ("TEA", 1)))
    assert cli("hold", "past", "--reason", "fraud check", "--until", "2020-01-01").exit_code == 0
    assert cli("hold", "future", "--reason", "wait", "--until", "2999-01-01").exit_code == 0
    result = cli("process")
    assert result.stdout.splitlines() == [
        "released 1 hold(s) whose date had passed",
        "processed 1 order: 1 ready, 0 backordered, 0 held",
    ]
    assert statuses(rows) == {"past": "ready", "future": "on_hold"}
    actions = [e["action"] for e in json.loads(cli("track", "past", "--json").stdout)["events"]]
    assert actions == ["receive", "hold", "release", "allocate"]


def test_a_backordered_order_becomes_ready_when_stock_arrives(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 1}, order_yaml("1", ("TEA", 3)))
    assert cli("process").exit_code == 0
    assert cli("process").stdout == "processed 1 order: 0 ready, 1 backordered, 0 held\n"
    assert cli("stock", "add", "TEA", "2").exit_code == 0
    assert cli("process").stdout == "processed 1 order: 1 ready, 0 backordered, 0 held\n"
    events = json.loads(cli("track", "1", "--json").stdout)["events"]
    assert [(e["from"], e["to"]) for e in events] == [
        (None, "received"), ("received", "backordered"), ("backordered", "ready"),
    ]  # fmt: skip
    assert rows("SELECT on_hand, allocated FROM stock") == [(3, 3)]


def test_cancelling_a_ready_order_frees_exactly_what_it_reserved(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop(
        {"TEA@A-01-1": 2, "TEA@A-02-1": 2, "MUG": 4},
        order_yaml("1", ("TEA", 3), ("MUG", 1)),
        order_yaml("2", ("MUG", 2)),
    )
    assert cli("process").exit_code == 0
    assert cli("hold", "1", "--reason", "customer called").exit_code == 0
    result = cli("cancel", "1", "--reason", "customer asked", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["units_freed"] == 4
    assert rows("SELECT sku, location, on_hand, allocated FROM stock ORDER BY sku, location") == [
        ("MUG", "A-01-1", 4, 2), ("TEA", "A-01-1", 2, 0), ("TEA", "A-02-1", 2, 0),
    ]  # fmt: skip
    assert rows("SELECT order_id FROM allocations") == [
        (rows("SELECT id FROM orders WHERE order_number = '2'")[0][0],)
    ]
    freed = rows("SELECT sku, allocated_delta, reason FROM stock_movements "
                 "WHERE allocated_delta < 0 ORDER BY sku, location")  # fmt: skip
    assert freed == [
        ("MUG", -1, "cancel: customer asked"),
        ("TEA", -2, "cancel: customer asked"),
        ("TEA", -1, "cancel: customer asked"),
    ]


def test_process_of_an_unknown_order_number_exits_3_and_changes_nothing(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 1}, order_yaml("1", ("TEA", 1)))
    result = cli("process", "1", "404", "405")
    assert result.exit_code == 3
    assert result.stderr == "error: no order 404, 405; nothing was processed\n"
    assert statuses(rows) == {"1": "received"}


def test_process_skips_a_named_order_that_is_not_received_or_backordered(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 2}, order_yaml("1", ("TEA", 1)), order_yaml("2", ("TEA", 1)))
    assert cli("process", "1").stdout == "processed 1 order: 1 ready, 0 backordered, 0 held\n"
    result = cli("process", "1", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "processed 1 order: 1 ready, 0 backordered, 0 held",
        "  skipped 1: order 1 is ready: cannot allocate it (allocate works from received, "
        "backordered; from ready the lifecycle allows: hold, pick, cancel, update)",
    ]
    assert rows("SELECT allocated FROM stock") == [(2,)]


def test_process_json_gives_the_summary_and_each_orders_outcome(
    cli: Cli, shop: Callable[..., None]
) -> None:
    shop({"TEA": 1}, order_yaml("1", ("TEA", 1)), order_yaml("2", ("TEA", 1)))
    assert json.loads(cli("process", "--json").stdout) == {
        "ready": 1, "backordered": 1, "held": 0, "skipped": 0,
        "released": 0, "not_processed": 0, "released_orders": [],
        "orders": [
            {"order_number": "1", "outcome": "ready"},
            {"order_number": "2", "outcome": "backordered"},
        ],
    }  # fmt: skip


def test_a_busy_database_makes_process_wait_then_exit_6_with_a_clear_message(
    db_url: str, cli: Cli, shop: Callable[..., None], rows: Rows
) -> None:
    shop({"TEA": 1}, order_yaml("1", ("TEA", 1)))
    with write_lock_held(db_url):
        result = run_orderops("process", db=db_url, env={"ORDEROPS_BUSY_TIMEOUT": "0.5"})
    assert result.returncode == 6
    assert result.stderr.decode() == (
        "error: the database is busy: another orderops held it longer than the busy timeout "
        "(ORDEROPS_BUSY_TIMEOUT seconds); nothing was written, try again\n"
    )
    assert statuses(rows) == {"1": "received"}
    assert run_orderops("process", db=db_url).returncode == 0
    assert statuses(rows) == {"1": "ready"}


@sqlite_only
def test_a_lock_held_past_the_busy_timeout_is_waited_out_by_retrying(
    db_path: Path, shop: Callable[..., None], rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from orderops.services.processing import process_orders
    from orderops.store.database import Database

    shop({"TEA": 1}, order_yaml("1", ("TEA", 1)))
    monkeypatch.setenv("ORDEROPS_BUSY_TIMEOUT", "1")
    database = Database(str(db_path))
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(process_orders(database, [], "me")))
    worker.start()
    worker.join(1.5)  # longer than SQLite's own wait of 1 s: the retry is what waits on
    blocker.rollback()
    blocker.close()
    worker.join(10)
    assert [summary.counts()["ready"] for summary in results] == [1]
    assert statuses(rows) == {"1": "ready"}


def test_receiving_changed_lines_of_a_ready_order_frees_its_stock_and_sends_it_back(
    cli: Cli, rows: Rows, shop: Callable[..., None], order_file: Callable[..., Path]
) -> None:
    shop({"TEA": 5}, order_yaml("7", ("TEA", 3)))
    assert cli("process").exit_code == 0
    assert rows("SELECT on_hand, allocated FROM stock") == [(5, 3)]
    updated = cli("receive", "--update", str(order_file(order_yaml("7", ("TEA", 1)))))
    assert updated.exit_code == 0, updated.output
    assert statuses(rows) == {"7": "received"}
    assert rows("SELECT on_hand, allocated FROM stock") == [(5, 0)]
    assert rows("SELECT count(*) FROM allocations") == [(0,)]
    assert rows("SELECT allocated_delta, reason FROM stock_movements ORDER BY id DESC LIMIT 1") == [
        (-3, "update: content changed")
    ]
    event = json.loads(cli("track", "7", "--json").stdout)["events"][-1]
    assert (event["action"], event["from"], event["to"]) == ("update", "ready", "received")
    assert event["detail"]["units_freed"] == 3
    assert cli("process").exit_code == 0
    assert statuses(rows) == {"7": "ready"}
    assert rows("SELECT on_hand, allocated FROM stock") == [(5, 1)]


def test_updating_a_held_order_keeps_it_held_and_release_sends_it_to_received(
    cli: Cli, rows: Rows, shop: Callable[..., None], order_file: Callable[..., Path]
) -> None:
    shop({"TEA": 5}, order_yaml("8", ("TEA", 2)))
    assert cli("process").exit_code == 0
    assert cli("hold", "8", "--reason", "customer called").exit_code == 0
    updated = cli("receive", "--update", str(order_file(order_yaml("8", ("TEA", 4)))))
    assert updated.exit_code == 0, updated.output
    assert rows("SELECT status, held_from FROM orders") == [("on_hold", "received")]
    assert rows("SELECT allocated FROM stock") == [(0,)]
    assert cli("release", "8").exit_code == 0
    assert statuses(rows) == {"8": "received"}


def test_a_run_larger_than_a_batch_goes_by_priority_and_shares_the_stock_throughout(
    cli: Cli, rows: Rows, shop: Callable[..., None], tmp_path: Path
) -> None:
    """2,500 orders are more than one batch of work: the outcome must still be the one
    a single pass in queue order gives (highest priority first, then earliest placed)."""
    header = (
        "order_number,customer_name,address1,city,postal_code,country,placed_at,priority,sku,qty"
    )
    lines = [header]
    for n in range(2500):  # received lowest priority first, against the queue's order
        placed = f"2026-11-20T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
        sku = "MUG" if n % 100 == 0 else "TEA"
        lines.append(f"Q{n:04d},Ada,1 Road,London,SW1A 1AA,GB,{placed},{n % 5},{sku},1")
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shop({"TEA@A-01-1": 700, "TEA@B-01-1": 500, "MUG": 0})
    assert cli("receive", str(tmp_path / "big.csv")).exit_code == 0
    result = cli("process", "--json")
    assert result.exit_code == 0, result.output
    queue = sorted(range(2500), key=lambda n: (-(n % 5), n))
    assert [o["order_number"] for o in json.loads(result.stdout)["orders"]] == [
        f"Q{n:04d}" for n in queue
    ]
    tea = [n for n in queue if n % 100 != 0]
    expected = {f"Q{n:04d}": "backordered" for n in range(2500)}
    expected.update({f"Q{n:04d}": "ready" for n in tea[:1200]})
    assert statuses(rows) == expected
    totals = "SELECT sku, sum(on_hand), sum(allocated) FROM stock GROUP BY sku ORDER BY sku"
    assert rows(totals) == [("MUG", 0, 0), ("TEA", 1200, 1200)]
    assert rows("SELECT sum(qty) FROM allocations") == [(1200,)]


def _allocates_stock(sql: str) -> bool:
    return sql.lstrip().upper().startswith("UPDATE") and " stock " in sql and "allocated" in sql


def test_stock_taken_between_reading_and_allocating_refuses_the_run_and_keeps_nothing(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    """The conditional update is the guarantee, not the read before it."""
    shop({"TEA": 5}, order_yaml("1", ("TEA", 2)), order_yaml("2", ("TEA", 2)))

    def taken_meanwhile(cursor: Any) -> None:  # all but one unit, in the same transaction
        cursor.connection.execute("UPDATE stock SET allocated = on_hand - 1")

    with before_statement(_allocates_stock, taken_meanwhile) as seen:
        result = cli("process")
    assert seen, "process allocated without an UPDATE of stock"
    _assert_refused_whole(result, rows)
    assert rows("SELECT count(*) FROM order_events") == [(2,)]


def _assert_refused_whole(result: Any, rows: Rows) -> None:
    """Exit 5 in one line, and the two received orders and their 5 units as they were."""
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    assert statuses(rows) == {"1": "received", "2": "received"}
    assert rows("SELECT on_hand, allocated FROM stock") == [(5, 0)]
    assert rows("SELECT count(*) FROM allocations") == [(0,)]


def test_an_order_moved_by_another_process_meanwhile_is_a_conflict_not_overwritten(
    cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    shop({"TEA": 5}, order_yaml("1", ("TEA", 2)), order_yaml("2", ("TEA", 2)))

    def cancelled_meanwhile(cursor: Any) -> None:
        cursor.connection.execute("UPDATE orders SET status = 'cancelled' WHERE order_number = '2'")

    with before_statement(moves_orders, cancelled_meanwhile) as seen:
        result = cli("process")
    assert seen, "process changed no status with an UPDATE of orders"
    _assert_refused_whole(result, rows)


def test_a_recount_by_another_terminal_while_process_runs_never_oversells(
    db_url: str, cli: Cli, rows: Rows, shop: Callable[..., None]
) -> None:
    """Another terminal counts the bin down to 3 just as process is about to allocate.
    Either the recount waits (it is locked out) and process allocates from 5; or it lands
    first and process allocates from 3, or refuses with exit 5. Never 4 of 3."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    shop({"TEA": 5}, order_yaml("1", ("TEA", 2)), order_yaml("2", ("TEA", 2)))
    url, options = (db_url, {}) if "://" in db_url else (f"sqlite:///{db_url}", {"timeout": 0})
    other = create_engine(url, connect_args=options)
    recounted: list[bool] = []

    def recount(_cursor: Any) -> None:
        try:
            with other.begin() as connection:
                if other.dialect.name == "postgresql":
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                connection.exec_driver_sql("UPDATE stock SET on_hand = 3")
            recounted.append(True)
        except OperationalError:
            recounted.append(False)

    with before_statement(_allocates_stock, recount):
        result = cli("process")
    other.dispose()
    stock = rows("SELECT on_hand, allocated FROM stock")
    if recounted == [False]:
        assert (result.exit_code, stock) == (0, [(5, 4)]), result.output
        assert statuses(rows) == {"1": "ready", "2": "ready"}
    elif result.exit_code == 0:
        assert stock == [(3, 2)]
        assert statuses(rows) == {"1": "ready", "2": "backordered"}
    else:
        assert (result.exit_code, stock) == (5, [(3, 0)]), result.output
        assert statuses(rows) == {"1": "received", "2": "received"}
    assert rows("SELECT coalesce(sum(qty), 0) FROM allocations") == [(stock[0][1],)]


def test_an_actor_with_quotes_and_placeholders_is_written_exactly_as_given(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    """Values alike in every row go into the bulk statements as literals on SQLite:
    a quote, a `?` or a `%` in them must neither break nor change the text."""
    actor = "O'Brien ?% '); DROP TABLE orders; --"
    csv = order_file("sku,location,on_hand\nTEA,A-01-1,5\n", suffix=".csv")
    assert cli("--actor", actor, "stock", "import", str(csv)).exit_code == 0
    orders = order_file(order_yaml("1", ("TEA", 2)) + order_yaml("2", ("TEA", 9)))
    assert cli("--actor", actor, "receive", str(orders)).exit_code == 0
    result = cli("--actor", actor, "process")
    assert result.exit_code == 0, result.output
    assert rows("SELECT actor, action, from_status, to_status FROM order_events ORDER BY id") == [
        (actor, "receive", None, "received"),
        (actor, "receive", None, "received"),
        (actor, "allocate", "received", "ready"),
        (actor, "backorder", "received", "backordered"),
    ]
    assert rows(
        "SELECT actor, on_hand_delta, allocated_delta, order_id FROM stock_movements "
        "WHERE reason LIKE 'allocate%'"
    ) == [(actor, 0, 2, 1)]
    assert rows("SELECT held_from, hold_until, hold_reason FROM orders ORDER BY id") == [
        (None, None, ""),
        (None, None, ""),
    ]


def test_process_reads_order_lines_through_their_index(
    cli: Cli, db_url: str, order_file: Callable[..., Path], tmp_path: Path
) -> None:
    """The one plan check: the lines of a batch of orders are read through
    ix_order_lines_order_id_line_no (in line order, no sort), whatever the SQL looks
    like and wherever it lives. Only the index's name is asserted, not the plan."""
    assert cli("receive", str(generic_csv(tmp_path / "o.csv", "P", 200))).exit_code == 0
    stock = "sku,location,on_hand\n" + "".join(f"SKU-{n},A-01-{n},9999\n" for n in range(7))
    assert cli("stock", "import", str(order_file(stock, suffix=".csv"))).exit_code == 0
    selects: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        if not many and sql.lstrip().upper().startswith("SELECT") and "order_lines" in sql:
            selects.append((sql, params))

    event.listen(Engine, "before_cursor_execute", keep)
    try:
        result = cli("process")
    finally:
        event.remove(Engine, "before_cursor_execute", keep)
    assert result.stdout == "processed 200 orders: 200 ready, 0 backordered, 0 held\n"
    assert selects, "process read no order lines"
    plans = _plans(db_url, selects)
    assert any("ix_order_lines_order_id_line_no" in plan for plan in plans), plans


def _plans(db_url: str, statements: list[tuple[str, Any]]) -> list[str]:
    """Each statement's plan as one text. PostgreSQL is told to avoid sequential scans:
    on a table this small it would scan anyway, and the question is whether the query
    can use the index at all."""
    from sqlalchemy import create_engine

    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if ON_POSTGRES:
            cursor.execute("SET enable_seqscan = off")
        explain = "EXPLAIN" if ON_POSTGRES else "EXPLAIN QUERY PLAN"
        plans = []
        for sql, params in statements:
            cursor.execute(f"{explain} {sql}", params)
            plans.append(" ".join(str(step[-1]) for step in cursor.fetchall()))
        return plans
    finally:
        connection.close()
        engine.dispose()
