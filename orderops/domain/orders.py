"""An order as received: plain values, validated, ready to be stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from itertools import repeat
from operator import methodcaller, mul
from typing import Any


@dataclass(frozen=True)
class LineRecord:
    """One checked line of an `OrderRecord` (not the stored row, `store.tables.OrderLine`)."""

    sku: str
    qty: int
    name: str = ""
    unit_price: Decimal | None = None

    @cached_property
    def content(self) -> str:
        """The line as the order's fingerprint writes it (lines are shared, so cached)."""
        return json_object(json_piece(name, getattr(self, name)) for name in LINE_KEYS)

    @cached_property
    def stored(self) -> tuple[str, str, int, Decimal | None]:
        """(sku, name, qty, unit price), as a batch holds its lines (shared, so cached)."""
        return (self.sku, self.name, self.qty, self.unit_price)


@dataclass(frozen=True)
class OrderRecord:
    """One order with its lines, every field already checked and normalised.

    `placed_at` is None when the input did not give it: it then defaults to
    the moment of receiving, and is left out of the content fingerprint so
    that receiving the same file twice is recognised as the same order.
    """

    order_number: str
    customer_name: str
    address1: str
    city: str
    country: str
    lines: tuple[LineRecord, ...]
    placed_at: datetime | None = None
    ship_by: date | None = None
    priority: int = 0
    channel: str = ""
    email: str = ""
    phone: str = ""
    address2: str = ""
    region: str = ""
    postal_code: str = ""
    shipping_method: str = ""
    currency: str = "USD"
    note: str = ""
    # Where the order was read from, for messages ("orders.csv:12").
    source: str = field(default="", compare=False)

    @cached_property
    def fingerprint(self) -> str:
        """A stable hash of the order's content, to recognise a re-sent order.

        The sha256 of "v1:" and the order as JSON with sorted keys, leaving out
        empty and default values (so that a field added to the record later does
        not change the fingerprint of orders without it) and `source`. Written
        out by hand, piece by piece (`json_piece`), so that a batch of orders
        held as columns gets the very same fingerprints (`order_batch`); a test
        keeps it equal to `json.dumps` of `asdict`.
        """
        pieces = [
            lines_piece([line.content for line in self.lines])
            if name == "lines"
            else json_piece(name, getattr(self, name))
            for name in FINGERPRINT_KEYS
        ]
        return fingerprints([pieces])[0]


FINGERPRINT_VERSION = "v1"


def json_piece(name: str, value: Any) -> str:
    """'"name": value' as `json.dumps(..., default=str, ensure_ascii=False)` writes
    it; "" for a value the fingerprint leaves out (None, "", integer 0)."""
    kind = type(value)
    if kind is str:
        return f'"{name}": {_string(value)}' if value else ""
    if kind is int:
        return f'"{name}": {value}' if value else ""
    if value is None:
        return ""
    return f'"{name}": {_string(str(value))}'


def json_pieces(name: str, values: Sequence[Any]) -> list[str]:
    """`json_piece` of each value. A column of texts, or of times, dates or amounts
    (written as their str()), goes without a Python call per value: a batch holds
    a hundred thousand order numbers, names and e-mail addresses."""
    kinds = set(map(type, values))
    if kinds == {str}:
        texts: Iterable[str] = values
    elif kinds and kinds <= _WRITTEN_AS_STR:
        texts = map(str, values)
    else:  # numbers, or values left out (None)
        return [json_piece(name, value) for value in values]
    pieces = map(f'"{name}": '.__add__, map(_string, texts))
    if kinds == {str} and not all(values):
        return list(map(mul, pieces, map(bool, values)))  # "" for an empty text
    return list(pieces)


_WRITTEN_AS_STR = frozenset((datetime, date, Decimal))


def lines_piece(contents: Iterable[str]) -> str:
    """The "lines" entry, from each line's `LineRecord.content`; always written."""
    return f'"lines": [{", ".join(contents)}]'


def json_object(pieces: Iterable[str]) -> str:
    """The JSON object of `pieces` (in key order), the empty ones left out."""
    return "{" + ", ".join(filter(None, pieces)) + "}"


def fingerprints(orders: Iterable[Iterable[str]]) -> list[str]:
    """The fingerprint of each order given as its pieces, in `FINGERPRINT_KEYS` order:
    the sha256 of "v1:" and their JSON object. (Mapped, not looped: a bulk file has
    a hundred thousand orders.)"""
    # json_object of each, mapped: "{" + ", ".join(the non-empty pieces) + "}".
    objects = map("{{{}}}".format, map(", ".join, map(filter, repeat(None), orders)))
    texts = map(f"{FINGERPRINT_VERSION}:".__add__, objects)
    return list(map(_hexdigest, map(hashlib.sha256, map(str.encode, texts))))


_hexdigest = methodcaller("hexdigest")
_string = json.encoder.encode_basestring


# The order fields, in the order files list them.
ORDER_FIELDS = (
    "order_number",
    "placed_at",
    "ship_by",
    "priority",
    "channel",
    "customer_name",
    "email",
    "phone",
    "address1",
    "address2",
    "city",
    "region",
    "postal_code",
    "country",
    "shipping_method",
    "currency",
    "note",
)
LINE_FIELDS = ("sku", "name", "qty", "unit_price")
REQUIRED_ORDER_FIELDS = ("order_number", "customer_name", "address1", "city", "country")
# The fingerprint's keys in JSON's sorted order, with a slot for the lines.
FINGERPRINT_KEYS = tuple(sorted((*ORDER_FIELDS, "lines")))
LINE_KEYS = ("name", "qty", "sku", "unit_price")
# Each order field's value when an input does not give it (required fields have none).
ORDER_DEFAULTS: dict[str, Any] = {
    name: OrderRecord.__dataclass_fields__[name].default
    for name in ORDER_FIELDS
    if name not in REQUIRED_ORDER_FIELDS
}
