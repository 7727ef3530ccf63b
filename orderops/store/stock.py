"""Reading products and bins, and writing products (bin levels move: `store.stock_moves`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert, select, update

from orderops.domain.allocation import Availability
from orderops.store.driver import for_update, rows_in
from orderops.store.tables import PRODUCTS, STOCK


def known_skus(connection: Connection, skus: Sequence[str]) -> set[str]:
    """The SKUs of `skus` that are products."""
    found = rows_in(connection, "SELECT sku FROM products WHERE sku IN ({values})", skus)
    return {sku for (sku,) in found}


def product_exists(connection: Connection, sku: str) -> bool:
    query = select(PRODUCTS.c.id).where(PRODUCTS.c.sku == sku)
    return connection.execute(query).first() is not None


def lock_bins(connection: Connection, skus: Sequence[str]) -> dict[tuple[str, str], int]:
    """The id of every bin of `skus`, locked for this transaction in id order, as
    every writer of stock locks them (so that two never wait on each other in a
    circle): the ids are found first, then locked in id order batch by batch, so
    the whole is in id order however many SKUs. (SQLite's write transaction
    already holds the whole database.)"""
    found = rows_in(connection, "SELECT id, sku, location FROM stock WHERE sku IN ({values})", skus)
    locking = for_update(connection)
    if locking:
        ids = sorted(bin_id for bin_id, _, _ in found)
        lock = f"SELECT id FROM stock WHERE id IN ({{values}}) ORDER BY id{locking}"
        rows_in(connection, lock, ids)
    return {(sku, location): bin_id for bin_id, sku, location in found}


def availability(connection: Connection, skus: Sequence[str]) -> Availability:
    """Units available (on hand minus allocated) per SKU and bin; the bins locked."""
    available: Availability = {}
    for (sku, location), levels in bin_levels(connection, skus).items():
        available.setdefault(sku, {})[location] = levels.on_hand - levels.allocated
    return available


class BinLevels(NamedTuple):
    on_hand: int
    allocated: int


def bin_levels(connection: Connection, skus: Sequence[str]) -> dict[tuple[str, str], BinLevels]:
    """Each bin of `skus` with its levels, locked (`lock_bins`), in id order."""
    ids = sorted(lock_bins(connection, skus).values())
    sql = "SELECT sku, location, on_hand, allocated FROM stock WHERE id IN ({values}) ORDER BY id"
    return {
        (sku, location): BinLevels(on_hand, allocated)
        for sku, location, on_hand, allocated in rows_in(connection, sql, ids)
    }


def locations_of(connection: Connection, sku: str) -> list[str]:
    """The bins a SKU has, by code."""
    query = select(STOCK.c.location).where(STOCK.c.sku == sku)
    return sorted(connection.execute(query).scalars())


def products(connection: Connection, skus: Sequence[str]) -> dict[str, Mapping[str, Any]]:
    """The products of `skus` that exist, by SKU."""
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(skus), 2000):
        query = select(PRODUCTS).where(PRODUCTS.c.sku.in_(skus[start : start + 2000]))
        found.update({row.sku: row._mapping for row in connection.execute(query)})
    return found


def add_products(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert products: dicts of sku, name, barcode, reorder_point, updated_at."""
    if rows:
        connection.execute(insert(PRODUCTS), list(rows))


def change_product(connection: Connection, sku: str, changes: dict[str, Any], at: datetime) -> None:
    connection.execute(
        update(PRODUCTS).where(PRODUCTS.c.sku == sku).values(**changes, updated_at=at)
    )


def stock_rows(connection: Connection) -> list[Any]:
    """Every bin with its product's details."""
    query = select(
        PRODUCTS.c.sku,
        PRODUCTS.c.name,
        PRODUCTS.c.barcode,
        PRODUCTS.c.reorder_point,
        STOCK.c.location,
        STOCK.c.on_hand,
        STOCK.c.allocated,
    ).join(STOCK, STOCK.c.sku == PRODUCTS.c.sku)
    return list(connection.execute(query))
