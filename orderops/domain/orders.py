"""An order as received: plain values, validated, ready to be stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class OrderLine:
    sku: str
    qty: int
    name: str = ""
    unit_price: Decimal | None = None


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

        Empty and default values are left out, so that a field added to the
        record later does not change the fingerprint of orders that lack it.
        """
        content = _without_defaults(asdict(self))
        content.pop("source", None)
        text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(f"{FINGERPRINT_VERSION}:{text}".encode()).hexdigest()


FINGERPRINT_VERSION = "v1"


def _without_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_defaults(v) for k, v in value.items() if not _is_default(v)}
    if isinstance(value, list | tuple):
        return [_without_defaults(v) for v in value]
    return value


def _is_default(value: Any) -> bool:
    return value is None or value == "" or (type(value) is int and value == 0)


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
