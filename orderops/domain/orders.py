"""An order as received: plain values, validated, ready to be stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from itertools import compress
from operator import add, attrgetter
from typing import Any


@dataclass(frozen=True)
class OrderLine:
    sku: str
    qty: int
    name: str = ""
    unit_price: Decimal | None = None

    @cached_property
    def content(self) -> str:
        """The line as the order's fingerprint writes it (lines are shared, so cached)."""
        return _json_object(
            (name, getattr(self, name)) for name in ("name", "qty", "sku", "unit_price")
        )


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
    lines: tuple[OrderLine, ...]
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
        out by hand: it runs once per order of a bulk file, and `json.dumps` of
        `asdict` cost more than validating the order (a test keeps both equal).
        """
        head = _before_lines(self)
        try:
            # These fields are all text: the given ones written by C calls alone.
            parts = list(compress(map(add, _BEFORE_LINES, map(_string, head)), head))
        except TypeError:  # a value that is not a str (never from the readers)
            parts = []
            _add_pieces(parts, _BEFORE_LINES, head)
        parts.append(f'"lines": [{", ".join([line.content for line in self.lines])}]')
        _add_pieces(parts, _AFTER_LINES, _after_lines(self))
        text = "{" + ", ".join(parts) + "}"
        return hashlib.sha256(f"{FINGERPRINT_VERSION}:{text}".encode()).hexdigest()


FINGERPRINT_VERSION = "v1"


def _json_object(items: Iterable[tuple[str, Any]]) -> str:
    """`json.dumps(dict(items), sort_keys=True, default=str, ensure_ascii=False)`
    for items already in key order, without the empty and default values."""
    parts = []
    for name, value in items:
        is_default = value is None or value == "" or (type(value) is int and value == 0)
        if is_default and name != "lines":
            continue
        if type(value) is int:
            parts.append(f'"{name}": {value}')
        elif value is None:
            parts.append(f'"{name}": null')
        else:
            parts.append(f'"{name}": {_string(str(value))}')
    return "{" + ", ".join(parts) + "}"


_string = json.encoder.encode_basestring


def _add_pieces(parts: list[str], keys: tuple[str, ...], values: tuple[Any, ...]) -> None:
    """`_json_object`'s pieces for `values`, each key already written as '"name": '."""
    for key, value in zip(keys, values, strict=True):
        kind = type(value)
        if kind is str:
            if value:
                parts.append(key + _string(value))
        elif kind is int:
            if value:
                parts.append(f"{key}{value}")
        elif value is not None and value != "":
            parts.append(key + _string(str(value)))


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
_SORTED_ORDER_FIELDS = tuple(sorted((*ORDER_FIELDS, "lines")))
# The fingerprint's keys on either side of "lines", and getters for their values
# (one C call per order instead of a getattr per field).
_LINES_AT = _SORTED_ORDER_FIELDS.index("lines")
_BEFORE_LINES = tuple(f'"{name}": ' for name in _SORTED_ORDER_FIELDS[:_LINES_AT])
_AFTER_LINES = tuple(f'"{name}": ' for name in _SORTED_ORDER_FIELDS[_LINES_AT + 1 :])
_before_lines = attrgetter(*_SORTED_ORDER_FIELDS[:_LINES_AT])
_after_lines = attrgetter(*_SORTED_ORDER_FIELDS[_LINES_AT + 1 :])
