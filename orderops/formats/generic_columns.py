"""The generic CSV read a chunk of whole orders at a time, column by column.

The generic layout (what `export orders` writes and shops' scripts produce)
is the bulk path: files of a hundred thousand orders. Read order by order
(`csv_orders`), each order costs a dozen Python objects, and is then turned
back into columns to be written (`OrderBatch.from_records`). Here a chunk of
rows is turned into columns at once, and each distinct text of a column is
judged once, by the field's own rule (`records.ORDER_RULES`) and the one line
rule (`records.build_line`) that every reader uses. Nothing is checked here:
this module only gathers.

It reads only the plain case: every row as wide as the header, each order
number written as it is (no spaces around, no escape), an order's later rows
repeating its fields or leaving them all empty, and every value good. For any
other chunk `read` returns None, and the caller reads that chunk order by
order, which finds, words and places every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, compress, count, repeat
from operator import eq, itemgetter, ne
from typing import Any

from orderops.domain.order_batch import OrderBatch
from orderops.domain.orders import (
    LINE_FIELDS,
    ORDER_DEFAULTS,
    ORDER_FIELDS,
    REQUIRED_ORDER_FIELDS,
    LineRecord,
)
from orderops.formats.cells import unescape_cell
from orderops.formats.records import (
    ORDER_RULES,
    FieldError,
    RawLine,
    build_line,
    currency_exponent,
)

# Distinct lines kept from chunk to chunk (a shop's catalogue times its prices).
_KNOWN_LINES = 50_000


class _NotPlain(Exception):
    """The chunk is not the plain case: it is read order by order instead."""


class ColumnReader:
    """Reads the chunks of one generic CSV file, given its header, column by column."""

    def __init__(self, name: str, header: Sequence[str]) -> None:
        self.name = name
        self.width = len(header)
        position = {column: index for index, column in reversed(list(enumerate(header)))}
        self.order_positions = {f: position[f] for f in ORDER_FIELDS if f in position}
        self.number_position = position["order_number"]
        # The header has sku, qty and every required order field: each getter gives a tuple.
        self.line_fields = tuple(f for f in LINE_FIELDS if f in position)
        self.line_cells = itemgetter(*(position[f] for f in self.line_fields))
        self.other_order_cells = itemgetter(
            *(index for f, index in self.order_positions.items() if f != "order_number")
        )
        # (the line's cells, the decimals of its order's currency) -> the line.
        self.lines: dict[tuple[tuple[str, ...], int], LineRecord] = {}

    def read(self, rows: list[list[str]], starts: list[int]) -> OrderBatch | None:
        """The orders of `rows` (whole orders; row i starts on line `starts[i]`),
        or None if they must be read order by order."""
        try:
            return self._read(rows, starts)
        except (_NotPlain, FieldError):
            return None

    def _read(self, rows: list[list[str]], starts: list[int]) -> OrderBatch:
        if not rows or any(len(cells) != self.width for cells in rows):
            raise _NotPlain
        firsts = _first_rows(rows, self.number_position)
        counts = [end - start for start, end in zip(firsts, [*firsts[1:], len(rows)], strict=True)]
        self._check_later_rows(rows, firsts, counts)
        values = self._order_values([rows[i] for i in firsts])
        lines = self._lines(rows, values["currency"], counts)
        sources = [f"{self.name}:{starts[i]}" for i in firsts]
        return OrderBatch.from_columns(values, sources, counts, lines, len(rows))

    def _check_later_rows(
        self, rows: list[list[str]], firsts: list[int], counts: list[int]
    ) -> None:
        """An order's later rows repeat its fields, or leave them all empty."""
        others = list(map(self.other_order_cells, rows))
        owners = list(chain.from_iterable(map(repeat, firsts, counts)))
        if all(map(eq, others, map(others.__getitem__, owners))):
            return  # every row repeats its order's first: the usual case, checked in C
        for cells, owner in zip(others, owners, strict=True):
            if cells != others[owner] and any(cells):
                raise _NotPlain

    def _order_values(self, heads: list[list[str]]) -> dict[str, list[Any]]:
        """Each order field's values, from each order's first row."""
        columns = list(zip(*heads, strict=True))
        values: dict[str, list[Any]] = {}
        for name in ORDER_FIELDS:
            position = self.order_positions.get(name)
            if position is None:
                values[name] = [ORDER_DEFAULTS[name]] * len(heads)
            else:
                values[name] = _judged_column(name, columns[position])
        if values["order_number"] != list(columns[self.number_position]):
            raise _NotPlain  # spaces around an order number, or an escaped one
        return values

    def _lines(
        self, rows: list[list[str]], currencies: list[str], counts: list[int]
    ) -> list[LineRecord]:
        """Every row's line, priced in its order's currency (each distinct line judged once)."""
        exponents = map(currency_exponent, currencies)
        row_exponents = chain.from_iterable(map(repeat, exponents, counts))
        keys = list(zip(map(self.line_cells, rows), row_exponents, strict=True))
        known = self.lines
        if len(known) > _KNOWN_LINES:
            known.clear()
        for key in set(keys).difference(known):
            known[key] = self._line(*key)
        return list(map(known.__getitem__, keys))

    def _line(self, cells: tuple[str, ...], exponent: int) -> LineRecord:
        fields = dict(zip(self.line_fields, map(unescape_cell, cells), strict=True))
        # A bad line sends the chunk the ordinary way, which words the problem.
        line, _ = build_line(RawLine(0, fields), exponent, "", self.name)
        if line is None:
            raise _NotPlain
        return line


def _judged_column(name: str, texts: Sequence[str]) -> list[Any]:
    """Each text's value by the field's rule (each distinct text judged once where
    texts repeat); the field's default where none is given."""
    # A spreadsheet escape ("'=...") is rare: looked for before taking it off.
    if "'" in "".join(texts):
        texts = list(map(unescape_cell, texts))
    values = ORDER_RULES[name].judge_all(texts)
    if None in values:  # an empty or blank text: the field is not given
        if name in REQUIRED_ORDER_FIELDS:
            raise _NotPlain  # the ordinary path says it is required
        default = ORDER_DEFAULTS[name]
        values = [default if value is None else value for value in values]
    return values


def _first_rows(rows: list[list[str]], position: int) -> list[int]:
    """Where each order begins: the rows whose order number differs from the row before."""
    numbers = list(map(itemgetter(position), rows))
    return list(compress(count(), map(ne, numbers, chain((None,), numbers))))
