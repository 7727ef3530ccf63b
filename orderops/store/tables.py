"""The tables, as SQLModel classes. Migrations in `migrations/` create them."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from orderops.lifecycle import Status
from orderops.store.types import UTCDateTime

_STATUSES = ", ".join(f"'{s.value}'" for s in Status)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="ck_orders_status"),
        Index("ix_orders_status_ship_by", "status", "ship_by"),
        Index("ix_orders_email", "email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_number: str = Field(unique=True, max_length=64)
    status: str = Field(max_length=16)
    # The status an on_hold order returns to when released.
    held_from: str | None = Field(default=None, max_length=16)
    hold_reason: str = ""
    hold_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    placed_at: datetime = Field(sa_type=UTCDateTime)
    ship_by: date | None = None
    priority: int = 0
    channel: str = ""
    customer_name: str
    email: str = ""
    phone: str = ""
    address1: str
    address2: str = ""
    city: str
    region: str = ""
    postal_code: str = ""
    country: str = Field(max_length=2)
    shipping_method: str = ""
    currency: str = Field(default="USD", max_length=3)
    # Decimals of the currency when received: prices are counts of 10^-exponent.
    currency_exponent: int = 2
    note: str = ""
    # sha256 of the order as received, to tell a resent order from a changed one.
    fingerprint: str = Field(max_length=64)
    received_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("qty >= 1", name="ck_order_lines_qty"),
        CheckConstraint("unit_price_minor >= 0", name="ck_order_lines_price"),
        # Lines are read per order, in line order: the index gives them in that order.
        Index("ix_order_lines_order_id_line_no", "order_id", "line_no"),
        Index("ix_order_lines_sku", "sku"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    )
    line_no: int
    sku: str = Field(max_length=64)
    name: str = ""
    qty: int
    # Exact money: an integer count of the currency's minor units (pence).
    unit_price_minor: int | None = None


class OrderEvent(SQLModel, table=True):
    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_id", "order_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    )
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    # JSON object: reason, batch, tracking number...
    detail: str = "{}"


# Core handles for bulk paths, which insert with executemany rather than the ORM.
ORDERS = cast(Table, Order.__table__)  # type: ignore[attr-defined]
ORDER_LINES = cast(Table, OrderLine.__table__)  # type: ignore[attr-defined]
ORDER_EVENTS = cast(Table, OrderEvent.__table__)  # type: ignore[attr-defined]


class Product(SQLModel, table=True):
    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True, max_length=64)
    name: str = ""
    # GTIN/EAN/UPC, check digit verified on the way in; "" when not given.
    barcode: str = Field(default="", max_length=14)
    reorder_point: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Stock(SQLModel, table=True):
    """Units of one SKU in one bin. `available` is on_hand - allocated."""

    __tablename__ = "stock"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
        CheckConstraint("allocated >= 0 AND allocated <= on_hand", name="ck_stock_allocated"),
        UniqueConstraint("sku", "location", name="uq_stock_sku_location"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(sa_column=Column(String(64), ForeignKey("products.sku"), nullable=False))
    location: str = Field(max_length=32)
    on_hand: int = 0
    allocated: int = 0


class StockMovement(SQLModel, table=True):
    """One change of a stock row: a delivery, a count, an allocation, a release."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_sku", "sku", "location", "id"),
        # A delivery note is recorded once per SKU and bin: the same delivery twice adds once.
        Index(
            "uq_stock_movements_ref",
            "ref",
            "sku",
            "location",
            unique=True,
            sqlite_where=text("ref <> ''"),
            postgresql_where=text("ref <> ''"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    sku: str = Field(max_length=64)
    location: str = Field(max_length=32)
    on_hand_delta: int = 0
    allocated_delta: int = 0
    reason: str = ""
    # The order the units were allocated to or freed from, if any.
    order_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("orders.id", ondelete="SET NULL"), nullable=True),
    )
    # The delivery note (`stock add --ref`), or "". Last: migration 0004 added it.
    ref: str = Field(default="", sa_column=Column(String(64), nullable=False, server_default=""))


class Allocation(SQLModel, table=True):
    """Units of an order line reserved in one bin, freed exactly on cancel."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("qty >= 1", name="ck_allocations_qty"),
        Index("ix_allocations_order_id", "order_id"),
        Index("ix_allocations_sku", "sku", "location"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(
        sa_column=Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    )
    order_line_id: int = Field(
        sa_column=Column(Integer, ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False)
    )
    sku: str = Field(max_length=64)
    location: str = Field(max_length=32)
    qty: int


PRODUCTS = cast(Table, Product.__table__)  # type: ignore[attr-defined]
STOCK = cast(Table, Stock.__table__)  # type: ignore[attr-defined]
STOCK_MOVEMENTS = cast(Table, StockMovement.__table__)  # type: ignore[attr-defined]
ALLOCATIONS = cast(Table, Allocation.__table__)  # type: ignore[attr-defined]
