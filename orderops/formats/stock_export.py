"""Write stock as CSV or YAML in the columns `stock import` reads back.

Text cells are escaped as order exports escape them (a leading apostrophe
before a formula start), and the stock reader takes the apostrophe off again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from orderops.domain.stock import STOCK_COLUMNS
from orderops.formats.cells import escape_cell

_TEXT_COLUMNS = ("sku", "name", "location")


def render_stock(rows: Sequence[Mapping[str, Any]], format: str) -> str:
    cells = [
        {c: escape_cell(str(row[c])) if c in _TEXT_COLUMNS else str(row[c]) for c in STOCK_COLUMNS}
        for row in rows
    ]
    if format == "yaml":
        import yaml

        return yaml.safe_dump(cells, sort_keys=False, allow_unicode=True, default_style='"')
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(STOCK_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells)
    return buffer.getvalue()


def write_stock(rows: Sequence[Mapping[str, Any]], out: TextIO, format: str) -> None:
    out.write(render_stock(rows, format))
