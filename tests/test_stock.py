"""Stock keeping through the CLI: import, set, add, list, export, movements."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_ORDERS, EXAMPLES, ON_POSTGRES

Cli = Callable[..., Any]
Rows = Callable[..., list[tuple[Any, ...]]]

STOCK_CSV = """\
sku,name,barcode,location,on_hand,reorder_point
TEA-EARLGREY-100,Earl Grey 100 g,5012345678900,A-01-1,10,4
TEA-EARLGREY-100,Earl Grey 100 g,5012345678900,A-01-2,2,4
MUG-WHITE,White mug,036000291452,B-01-1,3,2
"""


def _import(cli: Cli, order_file: Callable[..., Path], text: str = STOCK_CSV) -> Any:
    result = cli("stock", "import", str(order_file(text, suffix=".csv")))
    assert result.exit_code == 0, result.output
    return result


def test_import_creates_products_bins_and_a_movement_for_each_bin(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    result = _import(cli, order_file)
    assert "products: 2 added" in result.stdout and "bins: 3 added" in result.stdout
    assert rows("SELECT sku, name, barcode, reorder_point FROM products ORDER BY sku") == [
        ("MUG-WHITE", "White mug", "036000291452", 2),
        ("TEA-EARLGREY-100", "Earl Grey 100 g", "5012345678900", 4),
    ]
    assert rows("SELECT sku, location, on_hand, allocated FROM stock ORDER BY id") == [
        ("TEA-EARLGREY-100", "A-01-1", 10, 0),
        ("TEA-EARLGREY-100", "A-01-2", 2, 0),
        ("MUG-WHITE", "B-01-1", 3, 0),
    ]
    movements = rows("SELECT sku, location, on_hand_delta, reason, actor FROM stock_movements")
    assert [m[:3] for m in movements] == [
        ("TEA-EARLGREY-100", "A-01-1", 10),
        ("TEA-EARLGREY-100", "A-01-2", 2),
        ("MUG-WHITE", "B-01-1", 3),
    ]
    assert all(m[3].startswith("import ") and m[4] for m in movements)


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    path = order_file(STOCK_CSV, suffix=".csv")
    assert cli("stock", "import", str(path)).exit_code == 0
    again = cli("stock", "import", str(path), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {
        "products_added": 0, "products_updated": 0,
        "bins_added": 0, "bins_changed": 0, "bins_unchanged": 3,
    }  # fmt: skip
    assert rows("SELECT count(*) FROM stock_movements") == [(3,)]


def test_a_bad_stock_file_is_refused_whole_with_every_bad_line(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    assert cli("db", "upgrade").exit_code == 0
    path = order_file(
        "sku,name,barcode,location,on_hand\n"
        "GOOD-1,Good,,A-01-1,5\n"
        "BAD-BARCODE,Bad,5012345678901,A-01-2,1\n"
        "BAD-COUNT,Bad,,A-01-3,-4\n"
        "BAD-BIN,Bad,,a shelf!,1\n"
        ",No sku,,A-01-4,1\n",
        suffix=".csv",
    )
    result = cli("stock", "import", str(path))
    assert result.exit_code == 4
    errors = result.stderr.splitlines()
    assert (
        f"error: {path}:3: column 'barcode': value '5012345678901': has a wrong check digit"
        in (errors[0])
    )
    assert errors[1] == f"error: {path}:4: column 'on_hand': value '-4': must not be negative"
    assert errors[2].startswith(f"error: {path}:5: column 'location': value 'a shelf!': ")
    assert errors[3] == f"error: {path}:6: column 'sku': is required"
    assert errors[-1] == "error: 4 problems in the stock file; nothing was written"
    assert rows("SELECT count(*) FROM products") == [(0,)]


def test_a_yaml_stock_file_is_read_like_a_csv_one(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    path = order_file(
        "- sku: TEA-SENCHA-50\n  name: Sencha 50 g\n  location: a-02-1\n  on_hand: 007\n"
        "- sku: TEA-SENCHA-50\n  location: A-02-2\n  on_hand: nine\n"
    )
    refused = cli("stock", "import", str(path))
    assert refused.exit_code == 4
    assert f"{path}:5: column 'on_hand': value 'nine': is not a whole number" in refused.stderr
    path.write_text(path.read_text().replace("nine", "9"))
    assert cli("stock", "import", str(path)).exit_code == 0
    assert rows("SELECT location, on_hand FROM stock ORDER BY location") == [
        ("A-02-1", 7),
        ("A-02-2", 9),
    ]


def test_the_example_stock_covers_every_sku_of_the_example_orders(cli: Cli, rows: Rows) -> None:
    assert cli("stock", "import", str(EXAMPLES / "stock.csv")).exit_code == 0
    assert cli("receive", *EXAMPLE_ORDERS).exit_code == 0
    assert (
        rows("SELECT DISTINCT sku FROM order_lines WHERE sku NOT IN (SELECT sku FROM products)")
        == []
    )


def test_stock_add_records_a_delivery_and_a_negative_number_corrects_a_count(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    _import(cli, order_file)
    delivered = cli("stock", "add", "MUG-WHITE", "12", "--reason", "PO 42")
    assert delivered.exit_code == 0, delivered.output
    assert delivered.stdout == ("MUG-WHITE in B-01-1: +12; on hand 15, allocated 0, available 15\n")
    corrected = cli("stock", "add", "MUG-WHITE", "-3")
    assert corrected.exit_code == 0, corrected.output
    assert rows("SELECT on_hand FROM stock WHERE sku = 'MUG-WHITE'") == [(12,)]
    movements = rows(
        "SELECT on_hand_delta, reason FROM stock_movements WHERE sku = 'MUG-WHITE' ORDER BY id"
    )
    assert movements[1:] == [(12, "PO 42"), (-3, "correction")]
    assert movements[0][0] == 3 and movements[0][1].endswith(".csv:4")


def test_stock_cannot_be_taken_below_what_is_allocated(
    cli: Cli, rows: Rows, received: str, order_file: Callable[..., Path]
) -> None:
    _import(cli, order_file)
    assert cli("process").exit_code == 0
    refused = cli("stock", "add", "MUG-WHITE", "-3")
    assert refused.exit_code == 5
    assert refused.stderr == (
        "error: cannot bring MUG-WHITE in B-01-1 to 0 on hand: 1 of its 3 are allocated; "
        "stock cannot go below what is allocated (cancel those orders first)\n"
    )
    below_zero = cli("stock", "add", "TEA-EARLGREY-100", "-5", "--location", "A-01-2")
    assert below_zero.exit_code == 5
    assert below_zero.stderr == "error: cannot take 5 of TEA-EARLGREY-100 from A-01-2: it holds 2\n"
    assert cli("stock", "set", "MUG-WHITE", "0").exit_code == 5
    assert rows("SELECT on_hand, allocated FROM stock WHERE sku = 'MUG-WHITE'") == [(3, 1)]
    lower = order_file(STOCK_CSV.replace("B-01-1,3", "B-01-1,0"), suffix=".csv")
    refused_import = cli("stock", "import", str(lower))
    assert refused_import.exit_code == 5
    assert "would be below the 1 allocated" in refused_import.stderr
    assert rows("SELECT count(*) FROM stock_movements WHERE on_hand_delta != 0") == [(3,)]


def test_stock_set_counts_a_bin_and_needs_a_known_sku(
    cli: Cli, rows: Rows, order_file: Callable[..., Path]
) -> None:
    _import(cli, order_file)
    assert cli("stock", "set", "MUG-WHITE", "7").exit_code == 0
    assert cli("stock", "set", "MUG-WHITE", "4", "--location", "c-01-1").exit_code == 0
    assert rows("SELECT location, on_hand FROM stock WHERE sku = 'MUG-WHITE' ORDER BY 1") == [
        ("B-01-1", 7),
        ("C-01-1", 4),
    ]
    unknown = cli("stock", "set", "NO-SUCH", "1")
    assert unknown.exit_code == 3 and "no product NO-SUCH" in unknown.stderr
    ambiguous = cli("stock", "add", "TEA-EARLGREY-100", "1")
    assert ambiguous.exit_code == 2
    assert "several bins (A-01-1, A-01-2): give --location" in ambiguous.stderr


def test_stock_list_json_has_one_object_per_sku_and_location(
    cli: Cli, order_file: Callable[..., Path]
) -> None:
    _import(cli, order_file)
    result = cli("stock", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [(r["sku"], r["location"]) for r in listed] == [
        ("MUG-WHITE", "B-01-1"),
        ("TEA-EARLGREY-100", "A-01-1"),
        ("TEA-EARLGREY-100", "A-01-2"),
    ]
    assert listed[0] == {
        "sku": "MUG-WHITE", "name": "White mug", "location": "B-01-1",
        "on_hand": 3, "allocated": 0, "available": 3, "reorder_point": 2,
    }  # fmt: skip


def test_stock_list_low_shows_skus_at_or_below_their_reorder_point(
    cli: Cli, order_file: Callable[..., Path]
) -> None:
    _import(cli, order_file)
    assert cli("stock", "add", "MUG-WHITE", "-1").exit_code == 0
    low = json.loads(cli("stock", "list", "--low", "--json").stdout)
    assert [r["sku"] for r in low] == ["MUG-WHITE"]
    assert "MUG-WHITE" in cli("stock", "list", "--low").stdout


def test_export_stock_reads_back_with_import(
    cli: Cli, rows: Rows, order_file: Callable[..., Path], tmp_path: Path
) -> None:
    _import(cli, order_file, STOCK_CSV + "=CMD(),=1+1,,A-09-9,1,0\n")
    exported = cli("export", "stock")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.splitlines()[0] == "sku,name,barcode,location,on_hand,reorder_point"
    assert "'=CMD(),'=1+1,,A-09-9,1,0" in exported.stdout
    before = rows("SELECT sku, name, location, on_hand FROM products JOIN stock USING (sku)")
    for suffix, format in ((".csv", "csv"), (".yaml", "yaml")):
        out = tmp_path / f"export{suffix}"
        assert cli("export", "stock", "--format", format, "-o", str(out)).exit_code == 0
        again = cli("stock", "import", str(out), "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["bins_unchanged"] == 4
    assert rows("SELECT sku, name, location, on_hand FROM products JOIN stock USING (sku)") == (
        before
    )


def test_stock_import_reads_standard_input(cli: Cli, rows: Rows) -> None:
    result = cli("stock", "import", "-", input="sku,on_hand\nTEA,4\n")
    assert result.exit_code == 0, result.output
    assert rows("SELECT sku, location, on_hand FROM stock") == [("TEA", "MAIN", 4)]


@pytest.mark.skipif(
    ON_POSTGRES, reason="a server database always exists; only a file can be missing"
)
def test_stock_list_does_not_create_a_database(cli: Cli, db_url: str) -> None:
    result = cli("stock", "list")
    assert result.exit_code == 3
    assert not Path(db_url).exists()
