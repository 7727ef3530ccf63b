"""Write stock as CSV or YAML in the columns `stock import` reads back.

A text cell that starts with =, +, - or @ is written with a leading
apostrophe so that a spreadsheet shows it rather than runs it; the stock
reader takes the apostrophe off again.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from orderops.domain.stock import STOCK_COLUMNS

_TEXT_COLUMNS = ("sku", "name", "location")


def safe_cell(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def render_stock(rows: Sequence[Mapping[str, Any]], format: str) -> str:
    cells = [
        {c: safe_cell(str(row[c])) if c in _TEXT_COLUMNS else str(row[c]) for c in STOCK_COLUMNS}
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


def write_stock(rows: Sequence[Mapping[str, Any]], output: str, format: str) -> None:
    text = render_stock(rows, format)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
