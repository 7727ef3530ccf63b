"""Receiving orders one at a time: from YAML files, stdin and options."""

from __future__ import annotations

import json

import pytest
from conftest import ORDER_YAML


def test_receive_a_yaml_file_stores_the_order_its_lines_and_one_event(cli, order_file, rows):
    result = cli("receive", str(order_file()))
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 1 order (2 lines)\n"
    assert rows("SELECT order_number, status, country, currency FROM orders") == [
        ("1001", "received", "GB", "GBP")
    ]
    assert rows("SELECT sku, qty, unit_price_minor FROM order_lines ORDER BY line_no") == [
        ("TEA-EARLGREY-100", 2, 650),
        ("MUG-WHITE", 1, 1200),
    ]
    assert rows("SELECT action, from_status, to_status FROM order_events") == [
        ("receive", None, "received")
    ]


def test_placed_at_is_stored_in_utc(cli, order_file, rows):
    cli("receive", str(order_file()))
    assert str(rows("SELECT placed_at FROM orders")[0][0]).startswith("2026-11-20 13:03:00")


def test_receive_reads_a_list_of_orders(cli, order_file, rows):
    second = ORDER_YAML.replace('"1001"', '"1002"')
    text = "- " + ORDER_YAML.replace("\n", "\n  ").rstrip() + "\n- "
    text += second.replace("\n", "\n  ").rstrip() + "\n"
    result = cli("receive", str(order_file(text)))
    assert result.exit_code == 0, result.output
    assert "received 2 orders (4 lines)" in result.stdout
    assert rows("SELECT order_number FROM orders ORDER BY id") == [("1001",), ("1002",)]


def test_receive_reads_standard_input(cli, rows):
    result = cli("receive", "-", input=ORDER_YAML)
    assert result.exit_code == 0, result.output
    assert rows("SELECT count(*) FROM orders") == [(1,)]


def test_receiving_the_same_order_twice_skips_it_and_says_so(cli, order_file, rows):
    path = str(order_file())
    cli("receive", path)
    again = cli("receive", path)
    assert again.exit_code == 0, again.output
    assert again.stdout == "received 0 orders (0 lines), skipped 1 already received (1001)\n"
    assert rows("SELECT count(*) FROM orders") == [(1,)]
    assert rows("SELECT count(*) FROM order_events") == [(1,)]


def test_an_order_without_placed_at_is_still_recognised_when_sent_again(cli, order_file, rows):
    path = str(order_file(ORDER_YAML.replace("placed_at: 2026-11-20T14:03:00+01:00\n", "")))
    assert cli("receive", path).exit_code == 0
    again = cli("receive", path)
    assert again.exit_code == 0 and "skipped 1" in again.stdout
    assert rows("SELECT count(*) FROM orders") == [(1,)]


def test_the_same_number_with_different_content_is_refused_and_nothing_written(
    cli, order_file, rows
):
    cli("receive", str(order_file()))
    changed = ORDER_YAML.replace("qty: 2", "qty: 3") + ""
    other = ORDER_YAML.replace('"1001"', '"1005"')
    both = "- " + other.replace("\n", "\n  ").rstrip() + "\n- "
    both += changed.replace("\n", "\n  ").rstrip() + "\n"
    result = cli("receive", str(order_file(both)))
    assert result.exit_code == 5
    assert result.stderr.startswith("error: 1 order(s) already received with different content")
    assert "1001" in result.stderr
    assert rows("SELECT order_number FROM orders") == [("1001",)]
    assert rows("SELECT qty FROM order_lines ORDER BY line_no") == [(2,), (1,)]


def test_the_same_number_twice_in_one_file_with_different_content_is_bad_input(
    cli, order_file, rows
):
    changed = ORDER_YAML.replace("qty: 2", "qty: 3")
    text = "- " + ORDER_YAML.replace("\n", "\n  ").rstrip() + "\n- "
    text += changed.replace("\n", "\n  ").rstrip() + "\n"
    result = cli("receive", str(order_file(text)))
    assert result.exit_code == 4
    assert "column 'order_number'" in result.stderr
    assert "with different content" in result.stderr
    assert rows("SELECT count(*) FROM orders") == [(0,)]


BAD_FIELDS = [
    ("qty: 2", "qty: 0", 18, "qty", "must be at least 1"),
    ("qty: 2", "qty: two", 18, "qty", "is not a whole number"),
    ("qty: 2", "qty: 1.5", 18, "qty", "is not a whole number"),
    ('unit_price: "6.50"', 'unit_price: "-1"', 19, "unit_price", "must not be negative"),
    ('unit_price: "6.50"', 'unit_price: "6.505"', 19, "unit_price", "more than 2 decimals"),
    ('unit_price: "6.50"', "unit_price: abc", 19, "unit_price", "not a decimal number"),
    ("country: GB", "country: XX", 12, "country", "ISO 3166-1 alpha-2"),
    ("country: GB", "country: GBR", 12, "country", "ISO 3166-1 alpha-2"),
    ("email: ada@example.com", "email: ada@", 7, "email", "not a valid e-mail"),
    ("placed_at: 2026-11-20T14:03:00+01:00", "placed_at: yesterday", 2, "placed_at", "ISO 8601"),
    ("ship_by: 2026-11-22", "ship_by: 22/11/2026", 3, "ship_by", "ISO 8601"),
    ("currency: GBP", "currency: QQQ", 14, "currency", "ISO 4217"),
    ("priority: 0", "priority: high", 4, "priority", "whole number"),
    ("city: London", "town: London", 10, "town", "is not a field of the order record"),
    ("city: London", "city: London\ncity: Paris", 11, "city", "is given twice (first on line 10)"),
    ('unit_price: "6.50"', 'unit_price: "99999999999999999999.00"', 19, "unit_price", "too large"),
    ('unit_price: "6.50"', 'unit_price: "1_000"', 19, "unit_price", "not a decimal number"),
    ("qty: 2", "qty: \u0663", 18, "qty", "is not a whole number"),
    (
        "customer_name: Ada Lovelace",
        'customer_name: "Ada\\tLovelace"',
        6,
        "customer_name",
        "contains a tab, line break",
    ),
]


@pytest.mark.parametrize(("good", "bad", "line", "column", "why"), BAD_FIELDS)
def test_a_bad_field_is_refused_with_its_line_and_nothing_is_written(
    cli, order_file, rows, good, bad, line, column, why
):
    path = order_file(ORDER_YAML.replace(good, bad))
    result = cli("receive", str(path))
    assert result.exit_code == 4, result.output
    assert f"error: {path}:{line}: column '{column}'" in result.stderr
    assert why in result.stderr
    assert "Traceback" not in result.output
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_every_missing_required_field_is_listed(cli, order_file, rows):
    result = cli("receive", str(order_file('order_number: "9"\nlines:\n  - name: x\n')))
    assert result.exit_code == 4
    for column in ("customer_name", "address1", "city", "country", "sku", "qty"):
        assert f"column '{column}': is required" in result.stderr
    assert result.stderr.rstrip().endswith("problems in the input; nothing was written")
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_an_order_needs_at_least_one_line(cli, order_file):
    result = cli("receive", str(order_file(ORDER_YAML.split("lines:")[0] + "lines: []\n")))
    assert result.exit_code == 4
    assert "an order needs at least one line" in result.stderr


def test_postal_codes_and_order_numbers_stay_exactly_as_written(cli, order_file, rows):
    text = ORDER_YAML.replace('"1001"', "01001").replace("SW1Y 4JH", "01234")
    assert cli("receive", str(order_file(text))).exit_code == 0
    assert rows("SELECT order_number, postal_code FROM orders") == [("01001", "01234")]


def test_a_yaml_python_tag_is_refused(cli, order_file, rows):
    result = cli("receive", str(order_file("!!python/object/apply:os.system ['true']\n")))
    assert result.exit_code == 4
    assert "YAML tag tag:yaml.org,2002:python/object/apply:os.system is not accepted" in (
        result.stderr
    )
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_broken_yaml_is_refused_with_its_line(cli, order_file):
    path = order_file('order_number: "1"\ncustomer_name: [unclosed\n')
    result = cli("receive", str(path))
    assert result.exit_code == 4
    assert f"error: {path}:" in result.stderr and "is not valid YAML" in result.stderr


def test_a_file_that_is_not_utf8_is_refused(cli, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(ORDER_YAML.replace("Ada", "Ad\u00e9").encode("latin-1"))
    result = cli("receive", str(path))
    assert result.exit_code == 4
    assert "is not UTF-8 text" in result.stderr


def test_an_empty_file_holds_no_orders(cli, order_file):
    result = cli("receive", str(order_file("")))
    assert result.exit_code == 4
    assert "is empty: no header, no orders" in result.stderr


def test_a_missing_file_is_not_found(cli, rows):
    result = cli("receive", "no-such-file.yaml")
    assert result.exit_code == 3
    assert result.stderr == "error: no such file: no-such-file.yaml\n"


def test_dry_run_reports_and_writes_nothing(cli, order_file, rows):
    result = cli("receive", "--dry-run", str(order_file()))
    assert result.exit_code == 0
    assert result.stdout == "would receive 1 order (2 lines)\n"
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_json_summary(cli, order_file):
    result = cli("receive", "--json", str(order_file()))
    assert json.loads(result.stdout) == {
        "received": 1,
        "lines": 2,
        "skipped": 0,
        "dry_run": False,
        "received_orders": ["1001"],
        "skipped_orders": [],
        "updated": 0,
        "updated_orders": [],
        "rejected": 0,
        "rejected_rows": 0,
        "rejected_problems": [],
    }


def test_receive_one_order_from_options(cli, rows):
    result = cli(
        "--actor", "till-2",
        "receive", "--order-number", "3001", "--customer-name", "Mary Somerville",
        "--address1", "5 Hanover Square", "--city", "London", "--postal-code", "W1S 1HQ",
        "--country", "gb", "--currency", "GBP", "--ship-by", "2026-11-30",
        "--line", "TEA-EARLGREY-100:2:6.5", "--line", "MUG-WHITE:1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [(number, country, ship_by)] = rows("SELECT order_number, country, ship_by FROM orders")
    assert (number, country, str(ship_by)) == ("3001", "GB", "2026-11-30")
    assert rows("SELECT sku, qty, unit_price_minor FROM order_lines ORDER BY line_no") == [
        ("TEA-EARLGREY-100", 2, 650),
        ("MUG-WHITE", 1, None),
    ]
    assert rows("SELECT actor FROM order_events") == [("till-2",)]


def test_options_are_checked_like_files(cli, rows):
    result = cli(
        "receive", "--order-number", "3002", "--customer-name", "X", "--address1", "Y",
        "--city", "Z", "--country", "ZZ", "--line", "SKU:0",
    )  # fmt: skip
    assert result.exit_code == 4
    assert "command line: column 'country': value 'ZZ'" in result.stderr
    assert "column 'qty': value '0': must be at least 1" in result.stderr
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_a_malformed_line_option_is_bad_usage(cli):
    result = cli("receive", "--order-number", "1", "--line", "JUSTASKU")
    assert result.exit_code == 2
    assert result.stderr == "error: --line 'JUSTASKU': write SKU:QTY or SKU:QTY:UNIT_PRICE\n"


def test_files_and_options_together_are_bad_usage(cli, order_file):
    result = cli("receive", str(order_file()), "--order-number", "1")
    assert result.exit_code == 2
    assert result.stderr == "error: give order files or order options, not both\n"


def test_receive_with_nothing_to_receive_is_bad_usage(cli):
    result = cli("receive")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: nothing to receive")


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


def test_control_characters_in_bad_values_are_shown_escaped(cli):
    text = ORDER_YAML.replace("country: GB", 'country: "G\\x1b[31mB"')
    result = cli("receive", "-", input=text)
    assert result.exit_code == 4
    assert "\x1b" not in result.stderr
    assert "G\\x1b[31mB" in result.stderr
