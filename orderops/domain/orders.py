"""An order as received: plain values, validated, ready to be stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property


@dataclass(frozen=True)
class OrderLine:
    sku: str
    qty: int
    name: str = ""
    unit_price: Decimal | None = None

    @cached_property
    def content(self) -> str:
        """The line as the order's fingerprint writes it (lines are shared, so cached)."""
        text = _string
        return (
            f'{{"name": {text(self.name)}, "qty": {self.qty}, "sku": {text(self.sku)}, '
            f'"unit_price": {_optional(self.unit_price)}}}'
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

        The sha256 of the JSON that `json.dumps(asdict(record) minus source,
        sort_keys=True, default=str, ensure_ascii=False)` gives, written out
        directly: this runs once per order of a bulk file, and the generic
        route cost more than validating the order (a test keeps both equal).
        """
        text = _string
        lines = ", ".join([line.content for line in self.lines])
        content = (
            f'{{"address1": {text(self.address1)}, "address2": {text(self.address2)}, '
            f'"channel": {text(self.channel)}, "city": {text(self.city)}, '
            f'"country": {text(self.country)}, "currency": {text(self.currency)}, '
            f'"customer_name": {text(self.customer_name)}, "email": {text(self.email)}, '
            f'"lines": [{lines}], "note": {text(self.note)}, '
            f'"order_number": {text(self.order_number)}, "phone": {text(self.phone)}, '
            f'"placed_at": {_optional(self.placed_at)}, '
            f'"postal_code": {text(self.postal_code)}, "priority": {int(self.priority)}, '
            f'"region": {text(self.region)}, "ship_by": {_optional(self.ship_by)}, '
            f'"shipping_method": {text(self.shipping_method)}}}'
        )
        return hashlib.sha256(content.encode()).hexdigest()


def _optional(value: object) -> str:
    """A value as json.dumps(default=str) writes it: null, or its str() as a JSON string."""
    return "null" if value is None else _string(str(value))


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
