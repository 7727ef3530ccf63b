"""Issue 14, item 6: one header check for every import. A column named twice or a
column without a name is refused the same way by `receive` and `stock import`;
unnamed columns at the end (trailing commas) are ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ORDER_COLUMNS = "order_number,customer_name,address1,city,country,sku,qty"
ORDER_ROW = "1001,Ada,1 Road,Town,GB,TEA-1,2"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("command", "header", "row", "problem"),
    [
        (("receive",), f"{ORDER_COLUMNS},sku", f"{ORDER_ROW},TEA-2",
         "column 'sku': appears twice in the header"),
        (("stock", "import"), "sku,on_hand,SKU", "TEA-1,3,TEA-2",
         "column 'sku': appears twice in the header"),
        (("receive",), ORDER_COLUMNS.replace(",city,", ",,city,"),
         ORDER_ROW.replace(",Town,", ",lost,Town,"),
         "column 4 of the header has no name; name it or remove it (only unnamed columns "
         "at the end, from trailing commas, are ignored)"),
        (("stock", "import"), "sku,,on_hand", "TEA-1,lost,3",
         "column 2 of the header has no name; name it or remove it (only unnamed columns "
         "at the end, from trailing commas, are ignored)"),
    ],
    ids=["receive twice", "stock import twice", "receive unnamed", "stock import unnamed"],
)  # fmt: skip
def test_a_header_with_a_column_twice_or_without_a_name_is_refused_by_every_import(
    cli: Any, rows: Any, tmp_path: Path,
    command: tuple[str, ...], header: str, row: str, problem: str,
):  # fmt: skip
    source = write(tmp_path, "in.csv", f"{header}\n{row}\n")
    result = cli(*command, source)
    assert result.exit_code == 4, result.output
    assert result.stderr == f"error: {source}:1: {problem}; nothing was written\n"
    assert rows("SELECT COUNT(*) FROM orders") == [(0,)]
    assert rows("SELECT COUNT(*) FROM stock") == [(0,)]


def test_every_column_named_twice_is_listed(cli: Any, tmp_path: Path):
    source = write(tmp_path, "in.csv", "sku,on_hand,sku,on_hand,on_hand\nA,1,B,2,3\n")
    result = cli("stock", "import", source)
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        f"error: {source}:1: column 'sku': appears twice in the header",
        f"error: {source}:1: column 'on_hand': appears 3 times in the header",
        "error: 2 problems in the stock file; nothing was written",
    ]


def test_unnamed_columns_at_the_end_of_the_header_are_ignored_by_every_import(
    cli: Any, rows: Any, tmp_path: Path
):
    orders = write(tmp_path, "orders.csv", f"{ORDER_COLUMNS},,\n{ORDER_ROW},,\n")
    assert cli("receive", orders).exit_code == 0
    stock = write(tmp_path, "stock.csv", "sku,on_hand,\nTEA-1,3,\n")
    result = cli("stock", "import", stock)
    assert result.exit_code == 0, result.output
    assert rows("SELECT order_number FROM orders") == [("1001",)]
    assert rows("SELECT on_hand FROM stock") == [(3,)]
