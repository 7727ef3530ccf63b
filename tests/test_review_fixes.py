"""Edges found in review: each is how an operator or a script would meet it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ORDER_YAML

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_an_export_received_back_is_skipped_also_for_times_written_without_offset(cli, tmp_path):
    assert cli("receive", str(FIXTURES / "woocommerce.csv")).exit_code == 0
    exported = tmp_path / "orders.csv"
    assert cli("export", "orders", "-o", str(exported)).exit_code == 0
    again = cli("receive", str(exported))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("received 0 orders (0 lines), skipped")


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


def test_export_since_a_time_without_offset_is_local_time(cli, received):
    result = cli("export", "orders", "--since", "2026-11-01T08:00", "--format", "yaml")
    assert result.exit_code == 0, result.output
    assert "order_number: '1001'" in result.stdout


def test_export_into_a_missing_folder_is_bad_usage(cli, received, tmp_path):
    for args in (("orders",), ("stock",)):
        result = cli("export", *args, "-o", str(tmp_path / "no" / "such.csv"))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: -o: no such folder")


def test_quick_entry_can_update_an_order(cli, rows):
    base = ("receive", "--order-number", "B3", "--customer-name", "Bo", "--address1", "1 Rd",
            "--city", "Oslo", "--postal-code", "0150", "--country", "NO")  # fmt: skip
    assert cli(*base, "--line", "TEA:1").exit_code == 0
    refused = cli(*base, "--line", "TEA:2")
    assert refused.exit_code == 5
    updated = cli(*base, "--line", "TEA:2", "--update")
    assert updated.exit_code == 0, updated.output
    assert rows("SELECT qty FROM order_lines") == [(2,)]


def test_an_order_number_longer_than_64_characters_is_bad_input(cli, rows):
    result = cli("receive", "-", input=ORDER_YAML.replace('"1001"', '"' + "9" * 65 + '"'))
    assert result.exit_code == 4
    assert "column 'order_number'" in result.stderr and "longer than 64" in result.stderr
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_rejects_must_not_overwrite_an_input_file(cli, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text("order_number,customer_name,address1,city,country,sku,qty\n1,A,B,C,GB,S,1\n")
    result = cli("receive", str(source), "--skip-invalid", "--rejects", str(source))
    assert result.exit_code == 2
    assert result.stderr == "error: --rejects must not be one of the input files\n"
    assert source.read_text().endswith("1,A,B,C,GB,S,1\n")


def test_control_characters_in_bad_values_are_shown_escaped(cli):
    text = ORDER_YAML.replace("country: GB", 'country: "G\\x1b[31mB"')
    result = cli("receive", "-", input=text)
    assert result.exit_code == 4
    assert "\x1b" not in result.stderr
    assert "G\\x1b[31mB" in result.stderr


def test_stock_list_does_not_create_a_database(cli, db_url):
    if "://" in db_url:
        return  # a server database always exists; the file case is SQLite's
    result = cli("stock", "list")
    assert result.exit_code == 3
    assert not Path(db_url).exists()
