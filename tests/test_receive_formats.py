"""Receiving files: the generic CSV, YAML, Shopify and WooCommerce exports, with their quirks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def order_row(rows, number: str) -> dict:  # type: ignore[no-untyped-def]
    names = (
        "order_number, placed_at, customer_name, email, phone, address1, address2, city, "
        "region, postal_code, country, currency, shipping_method, channel, note"
    )
    found = rows(f"SELECT {names} FROM orders WHERE order_number = :n", n=number)
    assert found, f"order {number} was not received"
    return dict(zip([n.strip() for n in names.split(",")], found[0], strict=True))


def line_rows(rows, number: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    return rows(
        "SELECT sku, name, qty, unit_price_minor FROM order_lines JOIN orders "
        "ON orders.id = order_id WHERE order_number = :n ORDER BY line_no",
        n=number,
    )


def test_generic_csv_with_bom_crlf_quoted_newlines_and_columns_in_any_order(cli, rows) -> None:
    result = cli("receive", str(FIXTURES / "generic.csv"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 2 orders (4 lines)\n"
    ada = order_row(rows, "5001")
    assert ada["note"] == "Ring twice,\nthen wait"
    assert ada["address2"] == "Flat 1, second floor"
    assert ada["phone"] == "+44 20 7946 0000"  # the spreadsheet escape is taken off
    assert str(ada["placed_at"]).startswith("2026-11-20 13:03:00")
    assert line_rows(rows, "5001") == [
        ("TEA-EARLGREY-100", "Earl Grey, 100 g", 2, 650),
        ("MUG-WHITE", "", 1, 1200),
    ]
    emilie = order_row(rows, "5002")
    assert emilie["customer_name"] == "Émilie du Châtelet"
    assert emilie["country"] == "FR"
    assert line_rows(rows, "5002")[1] == ("TEAPOT-CAST-IRON", "Théière en fonte", 1, 3900)


def test_shopify_export_maps_its_columns_onto_the_order(cli, rows) -> None:
    result = cli("receive", str(FIXTURES / "shopify.csv"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 2 orders (3 lines)\n"
    jo = order_row(rows, "1001")
    assert jo["customer_name"] == "Jö Müller"
    assert jo["postal_code"] == "01067"  # the leading apostrophe is Shopify's, not the zip's
    assert jo["phone"] == "+49 30 1234567"
    assert str(jo["placed_at"]).startswith("2025-10-07 07:50:26")  # 09:50:26 +0200
    assert (jo["city"], jo["region"], jo["country"], jo["currency"]) == (
        "Berlin",
        "BE",
        "DE",
        "EUR",
    )
    assert (jo["shipping_method"], jo["channel"], jo["note"]) == (
        "DHL Paket",
        "web",
        "Bitte klingeln",
    )
    assert line_rows(rows, "1001") == [
        ("TEA-EARLGREY-100", "Earl Grey 100 g", 2, 650),
        ("TEAPOT-GLASS", "Teekanne", 1, 2840),
    ]
    sam = order_row(rows, "1002")
    assert str(sam["placed_at"]).startswith("2025-10-07 22:05:00")  # 18:05 -0400
    assert sam["postal_code"] == "02108"


def test_shopify_columns_are_found_by_name_wherever_they_moved(cli, rows) -> None:
    result = cli("receive", str(FIXTURES / "shopify_moved_columns.csv"))
    assert result.exit_code == 0, result.output
    ann = order_row(rows, "1003")
    assert (ann["customer_name"], ann["postal_code"], ann["country"]) == (
        "Ann Smith", "EC1A 1BB", "GB",
    )  # fmt: skip
    assert [line[0] for line in line_rows(rows, "1003")] == ["TEA-ASSAM-250", "MUG-WHITE"]


def test_woocommerce_export_joins_first_and_last_name(cli, rows) -> None:
    result = cli("receive", str(FIXTURES / "woocommerce.csv"))
    assert result.exit_code == 0, result.output
    li = order_row(rows, "7001")
    assert li["customer_name"] == "Li Wei"
    assert li["address1"] == "88 Nanjing Road, Unit 5"
    assert (li["city"], li["region"], li["postal_code"], li["country"]) == (
        "Shanghai", "SH", "200001", "CN",
    )  # fmt: skip
    assert (li["email"], li["currency"], li["note"]) == (
        "li@example.com",
        "CNY",
        "Leave at the door",
    )
    assert line_rows(rows, "7001") == [
        ("OOLONG-100", "Oolong 100 g", 2, 4500),
        ("CUP-SET", "Tea cups, set of 4", 1, 2800),
    ]
    assert order_row(rows, "7002")["postal_code"] == "0155"


def test_yaml_list_of_orders_is_received(cli, rows) -> None:
    result = cli("receive", str(EXAMPLES / "orders.yaml"))
    assert result.exit_code == 0, result.output
    assert rows("SELECT count(*) FROM orders") == [(4,)]


def test_format_is_told_from_the_header_not_the_file_name(cli, rows, tmp_path) -> None:
    renamed = tmp_path / "orders-from-the-shop.txt"
    shutil.copy(FIXTURES / "shopify.csv", renamed)
    result = cli("receive", str(renamed))
    assert result.exit_code == 0, result.output
    assert rows("SELECT count(*) FROM orders") == [(2,)]


def test_format_option_overrides_detection(cli, rows) -> None:
    result = cli("receive", "--format", "woocommerce", str(FIXTURES / "shopify.csv"))
    assert result.exit_code == 4
    assert "the header has no column 'Order Number'" in result.stderr
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_csv_from_stdin(cli, rows) -> None:
    data = (FIXTURES / "woocommerce.csv").read_bytes()
    result = cli("receive", "-", input=data)
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 2 orders (3 lines)\n"


def test_yaml_from_stdin(cli, rows) -> None:
    result = cli("receive", "-", input=(EXAMPLES / "order.yaml").read_bytes())
    assert result.exit_code == 0, result.output
    assert rows("SELECT order_number FROM orders") == [("2001",)]


def test_several_files_of_different_formats_in_one_run(cli, rows) -> None:
    files = [str(FIXTURES / name) for name in ("generic.csv", "shopify.csv", "woocommerce.csv")]
    result = cli("receive", *files, str(EXAMPLES / "order.yaml"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 7 orders (11 lines)\n"


@pytest.mark.parametrize("name", ["generic.csv", "shopify.csv", "woocommerce.csv"])
def test_each_received_order_has_one_receive_event_naming_its_source(cli, rows, name) -> None:
    assert cli("receive", str(FIXTURES / name)).exit_code == 0
    events = rows("SELECT action, to_status, detail FROM order_events ORDER BY id")
    assert [e[:2] for e in events] == [("receive", "received")] * len(events)
    assert rows("SELECT count(*) FROM orders") == [(len(events),)]
    assert f'"source": "{FIXTURES / name}:2"' in events[0][2]


def test_an_unknown_format_option_is_bad_usage(cli) -> None:
    result = cli("receive", "--format", "xml", str(FIXTURES / "generic.csv"))
    assert result.exit_code == 2
    assert "--format must be one of csv, yaml, shopify, woocommerce" in result.stderr


def test_a_missing_file_is_not_found_and_nothing_is_written(cli, rows) -> None:
    result = cli("receive", str(FIXTURES / "generic.csv"), "no-such-file.csv")
    assert result.exit_code == 3
    assert result.stderr == "error: no such file: no-such-file.csv\n"
    assert rows("SELECT count(*) FROM orders") in ([], [(0,)])
