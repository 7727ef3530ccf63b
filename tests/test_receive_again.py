"""Receiving again: resent orders are skipped, changed ones refused or updated; dry runs,
JSON summaries, and skipping bad orders into a rejects file."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ORDER_YAML

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HEADER = "order_number,customer_name,address1,city,country,sku,qty,unit_price\n"


def write_csv(tmp_path: Path, body: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_the_same_file_twice_adds_nothing_the_second_time(cli, rows) -> None:
    path = str(FIXTURES / "shopify.csv")
    assert cli("receive", path).exit_code == 0
    again = cli("receive", path)
    assert again.exit_code == 0, again.output
    assert again.stdout == "received 0 orders (0 lines), skipped 2 already received (1001, 1002)\n"
    assert rows("SELECT count(*) FROM orders") == [(2,)]
    assert rows("SELECT count(*) FROM order_events") == [(2,)]


def test_the_summary_counts_new_and_skipped_orders_with_thousands_separators(cli, tmp_path) -> None:
    first = "".join(f"{n},Ada,1 Road,London,GB,TEA,1,1.00\n" for n in range(1, 41))
    assert cli("receive", str(write_csv(tmp_path, first, "a.csv"))).exit_code == 0
    body = first + "".join(
        f"{n},Ada,1 Road,London,GB,TEA,1,1.00\n{n},,,,,MUG,2,\n" for n in range(41, 1041)
    )
    result = cli("receive", str(write_csv(tmp_path, body, "b.csv")))
    assert result.stdout == "received 1,000 orders (2,000 lines), skipped 40 already received\n"


def test_changed_content_is_refused_and_nothing_is_written(cli, rows, tmp_path) -> None:
    cli("receive", str(write_csv(tmp_path, "1,Ada,1 Road,London,GB,TEA,1,1.00\n", "a.csv")))
    body = "2,Bob,2 Road,Leeds,GB,TEA,1,1.00\n1,Ada,1 Road,Paris,FR,TEA,1,1.00\n"
    result = cli("receive", str(write_csv(tmp_path, body, "b.csv")))
    assert result.exit_code == 5
    assert "1 order(s) already received with different content: 1 (" in result.stderr
    assert rows("SELECT order_number, city FROM orders") == [("1", "London")]


def test_update_applies_changes_to_orders_not_yet_picked_and_records_an_event(
    cli, rows, tmp_path
) -> None:
    cli("receive", str(write_csv(tmp_path, "1,Ada,1 Road,London,GB,TEA,1,1.00\n", "a.csv")))
    changed = "1,Ada,1 Road,Paris,FR,TEA,3,1.00\n1,,,,,MUG,1,\n2,Bob,2 Road,Leeds,GB,TEA,1,\n"
    result = cli("receive", "--update", str(write_csv(tmp_path, changed, "b.csv")))
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 1 order (1 line), updated 1 (1)\n"
    assert rows("SELECT city, country, status FROM orders WHERE order_number = '1'") == [
        ("Paris", "FR", "received")
    ]
    assert rows(
        "SELECT sku, qty FROM order_lines JOIN orders ON orders.id = order_id "
        "WHERE order_number = '1' ORDER BY line_no"
    ) == [("TEA", 3), ("MUG", 1)]
    events = rows(
        "SELECT action, from_status, to_status, detail FROM order_events JOIN orders "
        "ON orders.id = order_id WHERE order_number = '1' ORDER BY order_events.id"
    )
    assert [e[:3] for e in events] == [
        ("receive", None, "received"),
        ("update", "received", "received"),
    ]
    assert json.loads(events[1][3])["changed"] == ["city", "country", "lines"]
    again = cli("receive", "--update", str(tmp_path / "b.csv"))
    assert again.stdout == "received 0 orders (0 lines), skipped 2 already received (1, 2)\n"


def test_update_keeps_a_held_order_on_hold(cli, rows, tmp_path) -> None:
    cli("receive", str(write_csv(tmp_path, "1,Ada,1 Road,London,GB,TEA,1,1.00\n", "a.csv")))
    assert cli("hold", "1", "--reason", "address check").exit_code == 0
    result = cli(
        "receive",
        "--update",
        str(write_csv(tmp_path, "1,Ada,2 Road,London,GB,TEA,1,1.00\n", "b.csv")),
    )
    assert result.exit_code == 0, result.output
    assert rows("SELECT address1, status, held_from FROM orders") == [
        ("2 Road", "on_hold", "received")
    ]
    assert cli("release", "1").exit_code == 0


def test_update_refuses_an_order_already_being_picked(cli, rows, tmp_path) -> None:
    cli("receive", str(write_csv(tmp_path, "1,Ada,1 Road,London,GB,TEA,1,1.00\n", "a.csv")))
    # Picking belongs to another issue; set the status as it would leave it.
    rows("UPDATE orders SET status = 'picking'")
    changed = "2,Bob,2 Road,Leeds,GB,TEA,1,\n1,Ada,1 Road,Paris,FR,TEA,1,1.00\n"
    result = cli("receive", "--update", str(write_csv(tmp_path, changed, "b.csv")))
    assert result.exit_code == 5
    assert "order 1 is picking: cannot update it" in result.stderr
    assert rows("SELECT order_number, city FROM orders") == [("1", "London")]


def test_dry_run_checks_and_reports_without_writing(cli, rows) -> None:
    result = cli("receive", "--dry-run", str(FIXTURES / "woocommerce.csv"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "would receive 2 orders (3 lines)\n"
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_dry_run_still_refuses_a_bad_file(cli, rows) -> None:
    result = cli("receive", "--dry-run", str(FIXTURES / "bad" / "qty_zero.csv"))
    assert result.exit_code == 4


def test_json_summary_for_scripts(cli) -> None:
    cli("receive", str(FIXTURES / "woocommerce.csv"))
    result = cli(
        "receive", "--json", str(FIXTURES / "woocommerce.csv"), str(FIXTURES / "shopify.csv")
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["received"] == 2 and summary["lines"] == 3 and summary["skipped"] == 2
    assert summary["received_orders"] == ["1001", "1002"]
    assert summary["skipped_orders"] == ["7001", "7002"]
    assert summary["rejected"] == 0 and summary["dry_run"] is False


def test_skip_invalid_receives_the_good_orders_and_writes_the_bad_rows_to_rejects(
    cli, rows, tmp_path
) -> None:
    body = (
        "1,Ada,1 Road,London,GB,TEA,1,1.00\n"
        "2,Bob,2 Road,Leeds,GB,TEA,0,1.00\n"
        "2,,,,,MUG,1,\n"
        '3,"=Eve, Mallory",3 Road,York,GB,TEA,1,1.00\n'
        "4,Dan,4 Road,Hull,XX,TEA,1,1.00\n"
    )
    rejects = tmp_path / "rejects.csv"
    path = write_csv(tmp_path, body)
    result = cli("receive", "--skip-invalid", "--rejects", str(rejects), str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"received 2 orders (2 lines), refused 2 invalid orders (3 rows, written to {rejects})\n"
    )
    assert f"refused: {path}:2" not in result.stderr
    assert f"refused: {path}:3: column 'qty': value '0': must be at least 1" in result.stderr
    assert rows("SELECT order_number, customer_name FROM orders ORDER BY id") == [
        ("1", "Ada"),
        ("3", "=Eve, Mallory"),
    ]
    assert rejects.read_bytes().decode() == (
        HEADER.replace("\n", "\r\n")
        + "2,Bob,2 Road,Leeds,GB,TEA,0,1.00\r\n2,,,,,MUG,1,\r\n4,Dan,4 Road,Hull,XX,TEA,1,1.00\r\n"
    )
    # Fixed, the rejects go in like any file.
    rejects.write_text(rejects.read_text().replace(",0,", ",1,").replace("XX", "GB"))
    again = cli("receive", str(rejects))
    assert again.stdout == "received 2 orders (3 lines)\n"


def test_skip_invalid_writes_yaml_rejects_for_a_yaml_file(cli, rows, tmp_path, order_file) -> None:
    text = (
        "- order_number: '1'\n  customer_name: Ada\n  address1: 1 Road\n  city: London\n"
        "  country: GB\n  lines:\n    - {sku: TEA, qty: '1'}\n"
        "- order_number: '2'\n  customer_name: Bob\n  address1: 2 Road\n  city: Leeds\n"
        "  country: GB\n  lines:\n    - {sku: TEA, qty: none}\n"
    )
    rejects = tmp_path / "rejects.yaml"
    result = cli("receive", "--skip-invalid", "--rejects", str(rejects), str(order_file(text)))
    assert result.exit_code == 0, result.output
    assert rows("SELECT order_number FROM orders") == [("1",)]
    fixed = rejects.read_text(encoding="utf-8").replace("none", "'2'")
    assert cli("receive", str(order_file(fixed))).stdout == "received 1 order (1 line)\n"


def test_skip_invalid_still_refuses_a_file_it_cannot_read(cli, rows, tmp_path) -> None:
    rejects = tmp_path / "rejects.csv"
    bad = FIXTURES / "bad" / "missing_column.csv"
    result = cli(
        "receive",
        "--skip-invalid",
        "--rejects",
        str(rejects),
        str(FIXTURES / "generic.csv"),
        str(bad),
    )
    assert result.exit_code == 4
    assert rows("SELECT count(*) FROM orders") == [(0,)]
    assert not rejects.exists()


def test_skip_invalid_needs_a_rejects_file(cli) -> None:
    result = cli("receive", "--skip-invalid", str(FIXTURES / "generic.csv"))
    assert result.exit_code == 2
    assert "--skip-invalid needs --rejects FILE" in result.stderr


def test_an_export_received_again_into_the_same_database_changes_nothing(
    cli, rows, tmp_path
) -> None:
    # 1,Ada... has no placed_at: it is stamped with the time it was received,
    # and the export writes that time.
    cli("receive", str(write_csv(tmp_path, "1,Ada,1 Road,London,GB,TEA,1,1.00\n")))
    cli("receive", str(FIXTURES / "shopify.csv"))
    exported = tmp_path / "export.csv"
    assert cli("export", "orders", "-o", str(exported)).exit_code == 0
    again = cli("receive", str(exported))
    assert again.exit_code == 0, again.output
    assert (
        again.stdout == "received 0 orders (0 lines), skipped 3 already received (1001, 1002, 1)\n"
    )
    assert rows("SELECT count(*) FROM order_events") == [(3,)]


def test_an_order_given_again_in_a_later_batch_is_skipped_if_alike_and_refused_if_not(
    cli, rows, tmp_path
) -> None:
    """A large file is checked and written a batch at a time: an order given again
    further on, its first copy already written by this run, is still told apart.
    6,000 orders (12,000 rows) are more than one batch of reading and of writing."""
    from conftest import generic_csv

    orders = 6000
    lines = generic_csv(tmp_path / "a.csv", "A", orders).read_text().splitlines()
    alike = tmp_path / "alike.csv"
    alike.write_text("\n".join([*lines, *lines[1:3]]) + "\n", encoding="utf-8")
    result = cli("receive", "--json", str(alike))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["received"], summary["skipped"]) == (orders, 1)
    assert summary["skipped_orders"] == ["A00000"]
    assert rows("SELECT count(*) FROM orders") == [(orders,)]

    lines = generic_csv(tmp_path / "b.csv", "B", orders).read_text().splitlines()
    changed = [line.replace("Ada Lovelace", "Ada King") for line in lines[1:3]]
    unlike = tmp_path / "unlike.csv"
    unlike.write_text("\n".join([*lines, *changed]) + "\n", encoding="utf-8")
    for dry_run in ((), ("--dry-run",)):
        result = cli("receive", *dry_run, str(unlike))
        assert result.exit_code == 4, result.output
        where = f"{unlike}:{2 * orders + 2}: column 'order_number': value 'B00000'"
        assert f"{where}: this order appears again" in result.stderr
    assert rows("SELECT count(*) FROM orders WHERE order_number LIKE 'B%'") == [(0,)]


def test_update_with_nothing_changed_leaves_a_ready_order_alone(cli, rows, tmp_path):
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,on_hand\nTEA-EARLGREY-100,A-01-1,9\nMUG-WHITE,A-01-2,9\n")
    assert cli("stock", "import", str(stock)).exit_code == 0
    assert cli("receive", "-", input=ORDER_YAML).exit_code == 0
    assert cli("process").exit_code == 0
    exported = tmp_path / "orders.csv"
    assert cli("export", "orders", "-o", str(exported)).exit_code == 0
    result = cli("receive", "--update", "--json", str(exported))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["updated"], summary["skipped"]) == (0, 1)
    assert rows("SELECT status FROM orders") == [("ready",)]
    assert rows("SELECT sum(allocated) FROM stock") == [(3,)]


def test_rejects_must_not_overwrite_an_input_file(cli, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text("order_number,customer_name,address1,city,country,sku,qty\n1,A,B,C,GB,S,1\n")
    result = cli("receive", str(source), "--skip-invalid", "--rejects", str(source))
    assert result.exit_code == 2
    assert result.stderr == "error: --rejects must not be one of the input files\n"
    assert source.read_text().endswith("1,A,B,C,GB,S,1\n")
