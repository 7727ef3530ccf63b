"""Stock as read from a file: one row per SKU and bin, values already checked."""

from __future__ import annotations

from dataclasses import dataclass

# Where a SKU's units sit when nobody said which bin.
DEFAULT_LOCATION = "MAIN"

# The most units a bin holds, and the most one `stock add` or `stock set` moves: nine
# digits, as an order line's quantity (and well inside a 32-bit integer column), so
# that no sum of them can overflow the database's integers.
MAX_UNITS = 999_999_999

# The columns of a stock file (import and export), in this order.
STOCK_COLUMNS = ("sku", "name", "barcode", "location", "on_hand", "reorder_point")
REQUIRED_STOCK_COLUMNS = ("sku", "on_hand")


@dataclass(frozen=True)
class StockRecord:
    """The count of one SKU in one bin, with the product's details if given.

    `name`, `barcode` and `reorder_point` are None when the file does not
    give them: an import then leaves what the database holds.
    """

    sku: str
    location: str
    on_hand: int
    name: str | None = None
    barcode: str | None = None
    reorder_point: int | None = None
    source: str = ""
