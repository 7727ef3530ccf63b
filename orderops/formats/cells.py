"""CSV cells: spreadsheet-safe text, and how long a cell may be.

A text that a spreadsheet would run as a formula gets a `'`. Every CSV
orderops writes escapes its text cells, and the generic readers unescape
them, so a round trip gives back exactly the text that went out.

Every CSV reader is made by `csv_reader`, which takes cells of up to
MAX_CELL characters; a longer one is UnreadableCsv, naming its row's line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

# A cell starting with one of these (but the last, `'`, which escapes them)
# is a formula to a spreadsheet.
ESCAPED_STARTS = "=+-@\t\r'"


def escape_cell(value: str) -> str:
    """`value` made safe to open in a spreadsheet: a leading `'` before a formula start.

    A value that already starts with `'` followed by such a character gets
    one more, so `unescape_cell` always gives back exactly `value`.
    """
    if value and (
        value[0] in ESCAPED_STARTS[:-1]
        or (value[0] == "'" and len(value) > 1 and value[1] in ESCAPED_STARTS)
    ):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in ESCAPED_STARTS:
        return value[1:]
    return value


# The longest cell the CSV readers take, in characters (1 MiB). Python's csv module
# stops at 128 KiB with an error of its own; no field of an order or a stock row comes
# near either, so a longer cell is almost always a quote opened and never closed,
# which swallows the rows after it.
MAX_CELL = 1024 * 1024


class UnreadableCsv(Exception):
    """A row the csv module cannot read (a cell over MAX_CELL), and the line it starts on."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line
        self.why = why


def csv_reader(lines: Iterable[str]) -> Any:
    """csv.reader over `lines`, taking cells of up to MAX_CELL characters."""
    csv.field_size_limit(MAX_CELL)
    return csv.reader(lines)


def unreadable(line: int, exc: csv.Error) -> UnreadableCsv:
    """The csv module's error on the row that starts on `line`, in the user's words."""
    if "field limit" in str(exc):
        why = (
            f"has a cell longer than {MAX_CELL:,} characters, the most orderops reads "
            '(a quote (") opened on this row and never closed?)'
        )
    else:
        why = f"cannot be read as CSV: {exc}"
    return UnreadableCsv(line, why)
