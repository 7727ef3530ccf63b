"""Bulk runs pause the cyclic garbage collector: safe only while they make no cycles."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orderops.domain.orders import LINE_FIELDS, ORDER_FIELDS

Cli = Callable[..., Any]


def generic_csv(path: Path, prefix: str, orders: int) -> Path:
    """`orders` orders of two lines each, in the generic CSV layout."""
    header = [*ORDER_FIELDS, *LINE_FIELDS]
    values = {"customer_name": "Ada Lovelace", "address1": "12 St James's Square",
              "city": "London", "postal_code": "SW1Y 4JH", "country": "GB",
              "currency": "GBP", "placed_at": "2026-11-20T10:00:00Z"}  # fmt: skip
    rows = [",".join(header)]
    for n in range(orders):
        fields = {**values, "order_number": f"{prefix}{n:05d}", "email": f"c{n}@example.com"}
        for sku, qty in ((f"SKU-{n % 7}", 1), (f"SKU-{n % 5}", 2)):
            line = {"sku": sku, "name": f"Tea {sku}", "qty": str(qty), "unit_price": "4.50"}
            rows.append(",".join({**fields, **line}.get(name, "") for name in header))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def left_for_the_collector(cli: Cli, *args: str) -> int:
    """Objects in reference cycles that one command left behind."""
    gc.collect()
    gc.disable()
    try:
        result = cli(*args)
        assert result.exit_code == 0, result.output
        return gc.collect()
    finally:
        gc.enable()


def test_receive_and_process_leave_the_same_few_cycles_whatever_the_size(
    cli: Cli, tmp_path: Path
) -> None:
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,on_hand\n" + "".join(
        f"SKU-{n},A-01-{n},400\n" for n in range(7)))  # fmt: skip
    assert cli("stock", "import", str(stock)).exit_code == 0
    # A first small run, so that what any first run sets up once is not counted.
    left_for_the_collector(cli, "receive", str(generic_csv(tmp_path / "w.csv", "W", 5)))
    left_for_the_collector(cli, "process")
    small = [
        left_for_the_collector(cli, "receive", str(generic_csv(tmp_path / "s.csv", "S", 200))),
        left_for_the_collector(cli, "process"),
    ]
    large = [
        left_for_the_collector(cli, "receive", str(generic_csv(tmp_path / "l.csv", "L", 1600))),
        left_for_the_collector(cli, "process"),
    ]
    # A cycle per order would leave over 1,400 more objects in the large runs.
    for few, more in zip(small, large, strict=True):
        assert more < few + 300, (small, large)
