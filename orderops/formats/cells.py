"""Spreadsheet-safe cells: a text that a spreadsheet would run as a formula gets a `'`.

Every CSV orderops writes escapes its text cells, and the generic readers
unescape them, so a round trip gives back exactly the text that went out.
"""

from __future__ import annotations

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
