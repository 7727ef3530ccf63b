"""Following orders: `track` shows one order's timeline, `list` shows many."""

from __future__ import annotations

import json

from conftest import ORDER_YAML


def test_track_json_has_every_field_lines_and_events(cli, received):
    result = cli("track", "1001", "--json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert {k: view[k] for k in ("order_number", "status", "placed_at", "ship_by")} == {
        "order_number": "1001",
        "status": "received",
        "placed_at": "2026-11-20T13:03:00Z",
        "ship_by": "2026-11-22",
    }
    for field in ("priority", "channel", "customer_name", "email", "phone", "address1",
                  "address2", "city", "region", "postal_code", "country", "shipping_method",
                  "currency", "note"):  # fmt: skip
        assert field in view
    assert view["phone"] == "+44 20 7946 0000"
    assert view["lines"] == [
        {"sku": "TEA-EARLGREY-100", "name": "Earl Grey 100 g", "qty": 2, "unit_price": "6.50"},
        {"sku": "MUG-WHITE", "name": "", "qty": 1, "unit_price": "12.00"},
    ]
    [event] = view["events"]
    assert event["action"] == "receive" and event["from"] is None and event["to"] == "received"
    assert event["at"].endswith("Z") and event["actor"]
    assert event["detail"]["source"].endswith(".yaml:1")


def test_track_shows_the_timeline_oldest_first(cli, received):
    cli("--actor", "sam", "hold", "1001", "--reason", "check address")
    cli("--actor", "kim", "release", "1001")
    result = cli("track", "1001")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Order 1001" in out and "received" in out
    timeline = [line.split()[2] for line in out.splitlines() if line[:4].isdigit()]
    assert timeline == ["receive", "hold", "release"]
    assert "reason: check address" in out
    assert "sam" in out and "kim" in out
    assert "\x1b[" not in out  # no colour codes when stdout is not a terminal
    events = json.loads(cli("track", "1001", "--json").stdout)["events"]
    assert [(e["action"], e["from"], e["to"], e["actor"]) for e in events] == [
        ("receive", None, "received", events[0]["actor"]),
        ("hold", "received", "on_hold", "sam"),
        ("release", "on_hold", "received", "kim"),
    ]


def test_track_finds_an_order_by_customer_email(cli, received):
    result = cli("track", "ADA@example.com", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["order_number"] == "1001"


def test_track_by_email_shows_the_latest_order_and_names_the_others(cli, order_file):
    cli("receive", str(order_file()))
    later = ORDER_YAML.replace('"1001"', '"1009"').replace("2026-11-20T14", "2026-11-21T14")
    cli("receive", str(order_file(later)))
    result = cli("track", "ada@example.com")
    assert "Order 1009" in result.stdout
    assert "other orders for ada@example.com: 1001" in result.stdout


def test_track_an_unknown_order_is_not_found(cli, received):
    result = cli("track", "nope")
    assert result.exit_code == 3
    assert result.stderr == "error: no order nope\n"


def test_list_shows_orders_with_their_line_counts(cli, received):
    result = cli("list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "order_number": "1001",
            "status": "received",
            "customer_name": "Ada Lovelace",
            "placed_at": "2026-11-20T13:03:00Z",
            "ship_by": "2026-11-22",
            "line_count": 2,
        }
    ]
    human = cli("list")
    assert "1001" in human.stdout and "Ada Lovelace" in human.stdout
    assert human.stdout.rstrip().endswith("1 order")


def test_list_filters_by_status(cli, order_file):
    cli("receive", str(order_file()))
    cli("receive", str(order_file(ORDER_YAML.replace('"1001"', '"1002"'))))
    cli("receive", str(order_file(ORDER_YAML.replace('"1001"', '"1003"'))))
    cli("hold", "1002", "--reason", "fraud check")
    cli("cancel", "1003", "--reason", "duplicate")
    held = json.loads(cli("list", "--status", "on_hold", "--json").stdout)
    assert [o["order_number"] for o in held] == ["1002"]
    two = json.loads(cli("list", "--status", "on_hold", "--status", "cancelled", "--json").stdout)
    assert sorted(o["order_number"] for o in two) == ["1002", "1003"]


def test_list_with_an_unknown_status_is_bad_usage(cli):
    result = cli("list", "--status", "lost")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
