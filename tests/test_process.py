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
    generic_csv,
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
        "released": 0, "released_orders": [],
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


def test_chunks_of_two_orders_still_go_by_priority_and_share_the_stock_between_them(
    cli: Cli, rows: Rows, shop: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderops.services import processing

    monkeypatch.setattr(processing, "CHUNK", 2)
    monkeypatch.setattr(processing, "MAX_CHUNK", 2)
    # Received lowest priority first, so each chunk's ids run against the queue's order.
    orders = [order_yaml(f"p{p}", ("TEA", 2), priority=str(p)) for p in range(7)]
    shop({"TEA@A-01-1": 5, "TEA@B-01-1": 4}, *orders)
    result = cli("process", "--json")
    assert result.exit_code == 0, result.output
    assert [o["order_number"] for o in json.loads(result.stdout)["orders"]] == [
        "p6", "p5", "p4", "p3", "p2", "p1", "p0",
    ]  # fmt: skip
    assert statuses(rows) == {
        "p6": "ready", "p5": "ready", "p4": "ready", "p3": "ready",
        "p2": "backordered", "p1": "backordered", "p0": "backordered",
    }  # fmt: skip
    # Each chunk's conditional updates saw the units the chunks before it took.
    assert rows("SELECT location, on_hand, allocated FROM stock ORDER BY location") == [
        ("A-01-1", 5, 4), ("B-01-1", 4, 4),
    ]  # fmt: skip
    assert rows("SELECT count(*), sum(allocated_delta) FROM stock_movements "
                "WHERE order_id IS NOT NULL") == [(4, 8)]  # fmt: skip


def test_a_chunk_that_took_long_makes_the_next_one_smaller_within_bounds() -> None:
    from orderops.services.processing import CHUNK, CHUNK_SECONDS, MAX_CHUNK, _ChunkSizer

    sizer = _ChunkSizer(CHUNK_SECONDS)
    assert sizer.size == CHUNK
    sizer.record(CHUNK, CHUNK_SECONDS / 4)
    assert sizer.size == 4 * CHUNK
    sizer.record(4 * CHUNK, CHUNK_SECONDS * 2)
    assert sizer.size == 2 * CHUNK
    sizer.record(2 * CHUNK, CHUNK_SECONDS * 100)
    assert sizer.size == CHUNK
    sizer.record(CHUNK, 0.0)
    assert sizer.size == MAX_CHUNK


def test_stock_taken_between_reading_and_allocating_refuses_the_chunk_whole(
    cli: Cli, rows: Rows, shop: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional update is the guarantee, not the read before it: if the stock
    read for a chunk is gone when its update runs, nothing of the chunk is kept."""
    from orderops.services import processing

    shop({"TEA": 5}, order_yaml("1", ("TEA", 2)), order_yaml("2", ("TEA", 2)))
    write = processing._Decisions.write

    def taken_meanwhile(self: Any, connection: Any, bin_ids: Any) -> None:
        # As if another writer had allocated all but one unit since the chunk read them.
        connection.exec_driver_sql("UPDATE stock SET allocated = on_hand - 1")
        write(self, connection, bin_ids)

    monkeypatch.setattr(processing._Decisions, "write", taken_meanwhile)
    result = cli("process")
    assert result.exit_code == 5
    assert "stock changed while allocating" in result.stderr
    assert "Traceback" not in result.output
    assert statuses(rows) == {"1": "received", "2": "received"}
    assert rows("SELECT on_hand, allocated FROM stock") == [(5, 0)]
    assert rows("SELECT count(*) FROM allocations") == [(0,)]


@sqlite_only
def test_a_chunk_whose_reads_went_stale_is_done_again_under_the_lock(
    db_path: Path, cli: Cli, rows: Rows, shop: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk reads and decides before taking the write lock. If another process
    writes in between, SQLite refuses the chunk's first write; the chunk is then
    read, decided and written again under the lock, on the stock as it now is."""
    from orderops.services import processing

    shop({"TEA": 5}, order_yaml("1", ("TEA", 2)), order_yaml("2", ("TEA", 2)))
    write = processing._Decisions.write
    recounts: list[int] = []

    def recounted_meanwhile(self: Any, connection: Any, bin_ids: Any) -> None:
        if not recounts:  # another terminal recounts the bin, once, while this one decides
            other = sqlite3.connect(db_path, isolation_level=None)
            other.execute("UPDATE stock SET on_hand = 3")
            other.close()
            recounts.append(3)
        write(self, connection, bin_ids)

    monkeypatch.setattr(processing._Decisions, "write", recounted_meanwhile)
    result = cli("process")
    assert result.exit_code == 0, result.output
    assert "1 ready, 1 backordered" in result.stdout
    assert statuses(rows) == {"1": "ready", "2": "backordered"}
    assert rows("SELECT on_hand, allocated FROM stock") == [(3, 2)]
    assert rows("SELECT order_id, qty FROM allocations") == [(1, 2)]


@sqlite_only
def test_once_another_writer_shows_up_every_chunk_takes_the_lock_first_sized_afresh(
    db_path: Path, cli: Cli, rows: Rows, shop: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:

    from orderops.services import processing

    monkeypatch.setattr(processing, "CHUNK", 2)
    monkeypatch.setattr(processing, "MAX_CHUNK", 4)
    shop({"TEA": 8}, *(order_yaml(f"{n:02d}", ("TEA", 1)) for n in range(1, 11)))
    chunks: list[tuple[bool, int]] = []
    process_chunk, write = processing._process_chunk, processing._Decisions.write

    def recorded(session: Any, ids: Any, *args: Any, **kwargs: Any) -> Any:
        chunks.append((kwargs.get("read_first", False), len(ids)))
        return process_chunk(session, ids, *args, **kwargs)

    def delivered_meanwhile(self: Any, connection: Any, bin_ids: Any) -> None:
        if len(chunks) == 2 and chunks[-1][0]:  # another terminal, as the 2nd chunk decides
            other = sqlite3.connect(db_path, isolation_level=None)
            other.execute("UPDATE stock SET on_hand = on_hand + 1")
            other.close()
        write(self, connection, bin_ids)

    monkeypatch.setattr(processing, "_process_chunk", recorded)
    monkeypatch.setattr(processing._Decisions, "write", delivered_meanwhile)
    result = cli("process")
    assert result.exit_code == 0, result.output
    # Read first while alone: 2 orders, then the most a chunk may take (4), refused.
    # Then locked, from the first size again: 2, 4, and the 2 left.
    assert chunks == [(True, 2), (True, 4), (False, 2), (False, 4), (False, 2)]
    assert rows("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status") == [
        ("backordered", 1), ("ready", 9),
    ]  # fmt: skip
    assert rows("SELECT on_hand, allocated FROM stock") == [(9, 9)]


@sqlite_only
def test_process_stores_times_in_the_same_text_as_every_other_write(
    cli: Cli, rows: Rows, shop: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Times written by driver SQL go through SQLite's DATETIME rendering too, so they
    compare and sort as text with the rest (a whole second is the telling case)."""
    from datetime import UTC, datetime

    from orderops.services import processing

    shop({"TEA": 5}, order_yaml("1", ("TEA", 2)))
    monkeypatch.setattr(processing, "utcnow", lambda: datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    assert cli("process").exit_code == 0
    assert rows("SELECT updated_at FROM orders") == [("2026-11-20 10:00:00.000000",)]
    assert rows("SELECT at FROM order_events WHERE action = 'allocate'") == [
        ("2026-11-20 10:00:00.000000",)
    ]


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


# Statistics of the orders' indexes as a bounded ANALYZE may leave them: receive's, after
# 100,000 orders, said about 1,000 orders per status, and SQLite then scanned the status
# index (every received order) for each batch of ids it updated; ten per status makes it
# read a chunk's orders that way too.
SAMPLED = {"ix_orders_email": "86211 1", "sqlite_autoindex_orders_1": "74120 1"}


@sqlite_only
@pytest.mark.parametrize("per_status", ["155584 1001 1001", "155584 10 10"])
def test_process_finds_its_orders_by_id_whatever_the_sampled_statistics_say(
    cli: Cli, db_path: Path, rows: Rows, order_file: Callable[..., Path], tmp_path: Path,
    per_status: str,
) -> None:  # fmt: skip
    assert cli("receive", str(generic_csv(tmp_path / "o.csv", "P", 2500))).exit_code == 0
    stock = "sku,location,on_hand\n" + "".join(f"SKU-{n},A-01-{n},9999\n" for n in range(7))
    assert cli("stock", "import", str(order_file(stock, suffix=".csv"))).exit_code == 0
    stats = {**SAMPLED, "ix_orders_status_ship_by": per_status}
    with sqlite3.connect(db_path) as connection:
        changed = connection.executemany(
            "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = 'orders' AND idx = ?",
            [(stat, index) for index, stat in stats.items()],
        ).rowcount
    connection.close()
    assert changed == len(stats)
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        if not many and " orders" in sql and "id IN (" in sql:
            statements.append((sql, params))

    event.listen(Engine, "before_cursor_execute", keep)
    try:
        result = cli("process")
    finally:
        event.remove(Engine, "before_cursor_execute", keep)
    assert result.exit_code == 0, result.output
    assert result.stdout == "processed 2500 orders: 2500 ready, 0 backordered, 0 held\n"
    assert rows("SELECT count(*) FROM orders WHERE status = 'ready'") == [(2500,)]
    assert {sql.split()[0] for sql, _ in statements} == {"SELECT", "UPDATE"}
    with sqlite3.connect(db_path) as connection:
        for sql, params in statements:
            plan = " / ".join(
                step[-1] for step in connection.execute("EXPLAIN QUERY PLAN " + sql, params)
            )
            assert plan == "SEARCH orders USING INTEGER PRIMARY KEY (rowid=?)", (
                f"{sql[:40]}... ({len(params)} values): {plan}"
            )
    connection.close()
