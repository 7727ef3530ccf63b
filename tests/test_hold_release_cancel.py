"""Holding, releasing and cancelling orders by hand."""

from __future__ import annotations

import json

from conftest import before_statement, moves_orders


def test_hold_records_reason_and_until_and_release_returns_to_received(cli, received, rows):
    result = cli("hold", "1001", "--reason", "address check", "--until", "2026-12-01T09:00:00Z")
    assert result.exit_code == 0, result.output
    assert result.stdout == "order 1001: received -> on_hold\n"
    assert rows("SELECT status, held_from, hold_reason FROM orders") == [
        ("on_hold", "received", "address check")
    ]
    view = json.loads(cli("track", "1001", "--json").stdout)
    assert view["hold_reason"] == "address check"
    assert view["hold_until"] == "2026-12-01T09:00:00Z"
    assert view["events"][-1]["detail"] == {
        "reason": "address check",
        "until": "2026-12-01T09:00:00Z",
    }
    released = cli("release", "1001")
    assert released.exit_code == 0
    assert released.stdout == "order 1001: on_hold -> received\n"
    assert rows("SELECT status, held_from, hold_reason, hold_until FROM orders") == [
        ("received", None, "", None)
    ]


def test_holding_a_held_order_is_refused_and_changes_nothing(cli, received, rows):
    cli("hold", "1001", "--reason", "first")
    result = cli("hold", "1001", "--reason", "second")
    assert result.exit_code == 5
    assert result.stderr == (
        "error: order 1001 is on_hold: cannot hold it (hold works from received, ready, "
        "backordered; from on_hold the lifecycle allows: release, cancel, update)\n"
    )
    assert rows("SELECT hold_reason FROM orders") == [("first",)]
    assert rows("SELECT count(*) FROM order_events") == [(2,)]


def test_releasing_an_order_not_on_hold_is_refused(cli, received):
    result = cli("release", "1001")
    assert result.exit_code == 5
    assert "order 1001 is received: cannot release it" in result.stderr


def test_cancel_records_the_reason_and_is_final(cli, received, rows):
    result = cli("--actor", "ops", "cancel", "1001", "--reason", "customer asked")
    assert result.exit_code == 0
    assert rows("SELECT status FROM orders") == [("cancelled",)]
    assert rows("SELECT actor, action, detail FROM order_events ORDER BY id DESC LIMIT 1") == [
        ("ops", "cancel", '{"reason": "customer asked"}')
    ]
    again = cli("cancel", "1001", "--reason", "twice")
    assert again.exit_code == 5
    assert "from cancelled the lifecycle allows: none, it is final" in again.stderr


def test_a_held_order_can_be_cancelled(cli, received, rows):
    cli("hold", "1001", "--reason", "fraud check")
    assert cli("cancel", "1001", "--reason", "fraud").exit_code == 0
    assert rows("SELECT status, hold_reason FROM orders") == [("cancelled", "")]


def test_hold_needs_a_reason(cli, received, rows):
    assert cli("hold", "1001").exit_code == 2
    empty = cli("hold", "1001", "--reason", "  ")
    assert empty.exit_code == 2 and empty.stderr == "error: --reason must not be empty\n"
    assert rows("SELECT status FROM orders") == [("received",)]


def test_hold_until_must_be_a_date(cli, received):
    result = cli("hold", "1001", "--reason", "x", "--until", "next week")
    assert result.exit_code == 2
    assert "--until 'next week' is not an ISO 8601 date-time" in result.stderr


def test_actions_on_an_unknown_order_are_not_found(cli, received):
    for args in (
        ("hold", "9", "--reason", "x"),
        ("release", "9"),
        ("cancel", "9", "--reason", "x"),
    ):
        result = cli(*args)
        assert result.exit_code == 3
        assert result.stderr == "error: no order 9\n"


def test_json_output_of_a_change(cli, received):
    result = cli("hold", "1001", "--reason", "x", "--json")
    assert json.loads(result.stdout) == {
        "order_number": "1001",
        "from": "received",
        "to": "on_hold",
    }


def test_an_order_moved_by_another_process_before_cancel_writes_is_a_conflict(cli, received, rows):
    """The status is written only where it is still the one read: never overwritten."""

    def shipped_meanwhile(cursor):  # as if another process had moved it on
        cursor.connection.execute("UPDATE orders SET status = 'ready' WHERE order_number = '1001'")

    with before_statement(moves_orders, shipped_meanwhile) as seen:
        result = cli("cancel", "1001", "--reason", "customer asked")
    assert seen, "cancel changed no status with an UPDATE of orders"
    assert result.exit_code == 5, result.output
    assert "changed status in another process meanwhile" in result.stderr
    assert rows("SELECT status FROM orders") == [("received",)]
    assert rows("SELECT action FROM order_events") == [("receive",)]
