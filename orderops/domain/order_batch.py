"""Checked orders held column by column: the unit that bulk receiving writes.

A large file is received a batch of a few thousand orders at a time. Holding
such a batch as columns (one list per order field) rather than as one
`OrderRecord` per order lets the rows to insert be put together by `zip`,
without a Python object per order; the generic CSV reader builds batches this
way directly (`from_columns`, see `formats.generic_columns`), every other
reader through `from_records`. `record(i)` gives back the whole `OrderRecord` of one order
when a rare path (a changed order, `--update`) needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import accumulate, islice
from operator import attrgetter
from typing import Any

from orderops.domain.orders import (
    FINGERPRINT_KEYS,
    ORDER_FIELDS,
    LineRecord,
    OrderRecord,
    fingerprints,
    json_pieces,
    lines_piece,
)

# One order line as stored: sku, name, qty, unit price (None when not given).
LineValues = tuple[str, str, int, Decimal | None]


@dataclass
class OrderBatch:
    """Orders whose every value is checked, as columns; index i is one order.

    `values[field][i]` is what `OrderRecord.<field>` would hold (defaults
    applied; `placed_at` None when not given); `lines` holds every order's
    lines one after the other, `line_counts[i]` of them for order i.
    """

    values: dict[str, list[Any]]
    fingerprints: list[str]
    sources: list[str]
    line_counts: list[int]
    lines: list[LineValues]
    # Input rows these orders came from, for progress.
    row_count: int

    def __len__(self) -> int:
        return len(self.fingerprints)

    @property
    def numbers(self) -> list[str]:
        return self.values["order_number"]

    def record(self, index: int) -> OrderRecord:
        """The whole record of order `index` (its fingerprint is `fingerprints[index]`)."""
        start = self.line_starts[index]
        lines = tuple(
            LineRecord(sku, qty, name, price)
            for sku, name, qty, price in self.lines[start : start + self.line_counts[index]]
        )
        fields = {name: self.values[name][index] for name in ORDER_FIELDS}
        return OrderRecord(**fields, lines=lines, source=self.sources[index])

    @cached_property
    def line_starts(self) -> list[int]:
        """Where each order's lines begin in `lines`."""
        return [0, *accumulate(self.line_counts)][:-1]

    @classmethod
    def from_records(cls, records: Sequence[OrderRecord], row_count: int = 0) -> OrderBatch:
        values: dict[str, list[Any]] = {
            name: [getattr(record, name) for record in records] for name in ORDER_FIELDS
        }
        lines = [
            (line.sku, line.name, line.qty, line.unit_price)
            for record in records
            for line in record.lines
        ]
        return cls(
            values=values,
            fingerprints=[record.fingerprint for record in records],
            sources=[record.source for record in records],
            line_counts=[len(record.lines) for record in records],
            lines=lines,
            row_count=row_count,
        )

    @classmethod
    def from_columns(
        cls,
        values: dict[str, list[Any]],
        sources: list[str],
        line_counts: list[int],
        lines: Sequence[LineRecord],
        row_count: int,
    ) -> OrderBatch:
        """A batch of orders given as columns (`values` holds every order field,
        defaults applied), with their lines one after the other."""
        return cls(
            values=values,
            fingerprints=_fingerprints(values, list(map(_CONTENT, lines)), line_counts),
            sources=sources,
            line_counts=line_counts,
            lines=list(map(_LINE_VALUES, lines)),
            row_count=row_count,
        )


_LINE_VALUES = attrgetter("stored")
_CONTENT = attrgetter("content")


def _fingerprints(
    values: dict[str, list[Any]], line_contents: list[str], line_counts: list[int]
) -> list[str]:
    """Each order's `OrderRecord.fingerprint`, from the columns."""
    columns: list[Any] = []
    for name in FINGERPRINT_KEYS:
        if name == "lines":
            contents = iter(line_contents)
            columns.append([lines_piece(islice(contents, n)) for n in line_counts])
        else:
            columns.append(_pieces(name, values[name]))
    return fingerprints(zip(*columns, strict=True))


def _pieces(name: str, values: Sequence[Any]) -> list[str]:
    """The fingerprint piece of each value of one field (each distinct one made once,
    where values repeat)."""
    if _mostly_distinct(values):
        return json_pieces(name, values)
    distinct = set(values)
    pieces = dict(zip(distinct, json_pieces(name, list(distinct)), strict=True))
    return list(map(pieces.__getitem__, values))


def _mostly_distinct(values: Sequence[Any]) -> bool:
    """Whether most of `values` differ (order numbers, times), going by the first
    hundred: then a lookup of distinct values would cost more than it saves."""
    sample = values[:100]
    return len(set(sample)) * 2 > len(sample)


def map_distinct(function: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """`function` of each of `values`, called once for each distinct value where
    values repeat (a batch's cities, currencies...)."""
    if _mostly_distinct(values):
        return list(map(function, values))  # a lookup would cost more than it saves
    distinct = set(values)
    results = dict(zip(distinct, map(function, distinct), strict=True))
    return list(map(results.__getitem__, values))
