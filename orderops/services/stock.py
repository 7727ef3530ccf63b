"""Stock keeping: import, set, add (deliveries and corrections), list, export.

Every change of a stock row writes a stock_movements row (when, who, the
deltas of on hand and allocated, why). Changes are conditional updates whose
row count is checked, so they stay right when several processes write at
once; the CHECK constraints on `stock` are the backstop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update
from sqlmodel import Session

from orderops.domain.allocation import bin_order
from orderops.domain.stock import DEFAULT_LOCATION, StockRecord
from orderops.errors import Conflict, NotFound, UsageProblem
from orderops.services.transitions import utcnow
from orderops.store.database import Database
from orderops.store.tables import ALLOCATIONS, PRODUCTS, STOCK, STOCK_MOVEMENTS

BATCH = 2000


def movement_values(
    at: datetime,
    actor: str,
    sku: str,
    location: str,
    *,
    on_hand: int = 0,
    allocated: int = 0,
    reason: str = "",
    order_id: int | None = None,
) -> dict[str, Any]:
    """The stock_movements row for one change of one bin (also used by bulk inserts)."""
    return {
        "at": at,
        "actor": actor,
        "sku": sku,
        "location": location,
        "on_hand_delta": on_hand,
        "allocated_delta": allocated,
        "reason": reason,
        "order_id": order_id,
    }


@dataclass
class ImportSummary:
    products_added: int = 0
    products_updated: int = 0
    bins_added: int = 0
    bins_changed: int = 0
    bins_unchanged: int = 0
    changed: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "products_added": self.products_added,
            "products_updated": self.products_updated,
            "bins_added": self.bins_added,
            "bins_changed": self.bins_changed,
            "bins_unchanged": self.bins_unchanged,
        }


def import_stock(db: Database, records: Sequence[StockRecord], actor: str) -> ImportSummary:
    """Set products and bin counts from a file, all or nothing.

    A count below what is already allocated in that bin refuses the whole
    import (Conflict); the same file twice changes nothing the second time.
    """

    def work(session: Session) -> ImportSummary:
        connection = session.connection()
        now = utcnow()
        summary = ImportSummary()
        _upsert_products(connection, records, now, summary)
        skus = sorted({r.sku for r in records})
        existing = {(row.sku, row.location): row for row in _lock_bins(connection, skus)}
        refused, movements, new_bins, changed_bins = [], [], [], []
        for record in records:
            row = existing.get((record.sku, record.location))
            old = row.on_hand if row is not None else 0
            if row is not None and record.on_hand < row.allocated:
                refused.append(
                    f"{record.source}: SKU {record.sku} in {record.location}: on hand "
                    f"{record.on_hand} would be below the {row.allocated} allocated"
                )
                continue
            if row is None:
                new_bins.append({"sku": record.sku, "location": record.location,
                                 "on_hand": record.on_hand, "allocated": 0})  # fmt: skip
                summary.bins_added += 1
            elif record.on_hand != old:
                changed_bins.append({"b_id": row.id, "b_on_hand": record.on_hand})
                summary.bins_changed += 1
            else:
                summary.bins_unchanged += 1
                continue
            if record.on_hand != old:
                movements.append(
                    movement_values(now, actor, record.sku, record.location,
                                    on_hand=record.on_hand - old, reason=f"import {record.source}")
                )  # fmt: skip
        if refused:
            raise Conflict(
                f"{len(refused)} bin(s) would go below what is allocated: "
                + "; ".join(refused[:5])
                + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
                + "; nothing was written"
            )
        if new_bins:
            connection.execute(insert(STOCK), new_bins)
        if changed_bins:
            connection.execute(
                update(STOCK)
                .where(STOCK.c.id == bindparam("b_id"))
                .where(STOCK.c.allocated <= bindparam("b_on_hand"))
                .values(on_hand=bindparam("b_on_hand")),
                changed_bins,
            )
        if movements:
            connection.execute(insert(STOCK_MOVEMENTS), movements)
        return summary

    return db.write(work)


def _upsert_products(
    connection: Connection, records: Sequence[StockRecord], now: datetime, summary: ImportSummary
) -> None:
    wanted: dict[str, dict[str, Any]] = {}
    for record in records:
        details = wanted.setdefault(record.sku, {})
        for column in ("name", "barcode", "reorder_point"):
            value = getattr(record, column)
            if value is not None:
                details[column] = value
    known = {
        row.sku: row
        for start in range(0, len(wanted), BATCH)
        for row in connection.execute(
            select(PRODUCTS).where(PRODUCTS.c.sku.in_(list(wanted)[start : start + BATCH]))
        )
    }
    added = [
        {"sku": sku, "name": d.get("name", ""), "barcode": d.get("barcode", ""),
         "reorder_point": d.get("reorder_point", 0), "updated_at": now}
        for sku, d in wanted.items()
        if sku not in known
    ]  # fmt: skip
    if added:
        connection.execute(insert(PRODUCTS), added)
    summary.products_added = len(added)
    for sku, details in wanted.items():
        row = known.get(sku)
        changes = {k: v for k, v in details.items() if row is not None and getattr(row, k) != v}
        if changes:
            connection.execute(
                update(PRODUCTS).where(PRODUCTS.c.sku == sku).values(**changes, updated_at=now)
            )
            summary.products_updated += 1


def _lock_bins(connection: Connection, skus: Sequence[str]) -> list[Any]:
    """The bins of `skus`, locked for this transaction (row locks on PostgreSQL)."""
    rows: list[Any] = []
    for start in range(0, len(skus), BATCH):
        rows.extend(
            connection.execute(
                select(STOCK)
                .where(STOCK.c.sku.in_(skus[start : start + BATCH]))
                .order_by(STOCK.c.id)
                .with_for_update()
            )
        )
    return rows


def _require_product(connection: Connection, sku: str) -> None:
    found = connection.execute(select(PRODUCTS.c.id).where(PRODUCTS.c.sku == sku)).first()
    if found is None:
        raise NotFound(f"no product {sku}; add it with `orderops stock import`")


def _resolve_bin(connection: Connection, sku: str, location: str | None) -> str:
    """The bin meant: the one given, else the SKU's only bin, else the default one."""
    from orderops.formats.records import FieldError
    from orderops.formats.stock_files import parse_location

    if location is not None:
        try:
            return parse_location(location)
        except FieldError as exc:
            raise UsageProblem(f"--location {location!r} {exc}") from None
    bins = sorted(connection.execute(select(STOCK.c.location).where(STOCK.c.sku == sku)).scalars())
    if len(bins) > 1:
        raise UsageProblem(f"SKU {sku} is in several bins ({', '.join(bins)}): give --location")
    return bins[0] if bins else DEFAULT_LOCATION


def change_stock(
    db: Database,
    sku: str,
    qty: int,
    *,
    location: str | None,
    actor: str,
    reason: str,
    relative: bool,
) -> dict[str, Any]:
    """`stock add` (relative: a delivery, or a correction when negative) or `stock set`.

    Refused (Conflict) when it would take the bin below what is allocated
    there, or below zero.
    """

    def work(session: Session) -> dict[str, Any]:
        connection = session.connection()
        _require_product(connection, sku)
        where = _resolve_bin(connection, sku, location)
        row = connection.execute(
            select(STOCK).where(STOCK.c.sku == sku, STOCK.c.location == where).with_for_update()
        ).first()
        old = row.on_hand if row is not None else 0
        target = old + qty if relative else qty
        if row is None:
            if target < 0:
                raise Conflict(f"cannot take {-qty} of {sku} from {where}: it holds none")
            connection.execute(
                insert(STOCK).values(sku=sku, location=where, on_hand=target, allocated=0)
            )
        else:
            changed = connection.execute(
                update(STOCK)
                .where(STOCK.c.id == row.id, STOCK.c.allocated <= target, STOCK.c.on_hand == old)
                .values(on_hand=target)
            ).rowcount
            if changed != 1 and target < 0:
                raise Conflict(f"cannot take {old - target} of {sku} from {where}: it holds {old}")
            if changed != 1:
                raise Conflict(
                    f"cannot bring {sku} in {where} to {target} on hand: {row.allocated} of its "
                    f"{old} are allocated; stock cannot go below what is allocated "
                    "(cancel those orders first)"
                )
        if target != old:
            connection.execute(
                insert(STOCK_MOVEMENTS),
                [movement_values(utcnow(), actor, sku, where, on_hand=target - old, reason=reason)],
            )
        levels = connection.execute(
            select(STOCK).where(STOCK.c.sku == sku, STOCK.c.location == where)
        ).one()
        return {
            "sku": sku,
            "location": where,
            "delta": target - old,
            "on_hand": levels.on_hand,
            "allocated": levels.allocated,
            "available": levels.on_hand - levels.allocated,
        }

    return db.write(work)


def list_stock(db: Database, *, low: bool = False) -> list[dict[str, Any]]:
    """One row per SKU and bin, SKUs in order, bins in shelf order.

    `low`: only SKUs whose units available over all bins are at or below
    their reorder point.
    """
    query = select(
        PRODUCTS.c.sku,
        PRODUCTS.c.name,
        PRODUCTS.c.barcode,
        PRODUCTS.c.reorder_point,
        STOCK.c.location,
        STOCK.c.on_hand,
        STOCK.c.allocated,
    ).join(STOCK, STOCK.c.sku == PRODUCTS.c.sku)
    with db.transaction(write=False) as session:
        found = list(session.connection().execute(query))
    totals: dict[str, int] = {}
    for row in found:
        totals[row.sku] = totals.get(row.sku, 0) + row.on_hand - row.allocated
    found.sort(key=lambda r: (r.sku, bin_order(r.location)))
    return [
        {
            "sku": row.sku,
            "name": row.name,
            "barcode": row.barcode,
            "location": row.location,
            "on_hand": row.on_hand,
            "allocated": row.allocated,
            "available": row.on_hand - row.allocated,
            "reorder_point": row.reorder_point,
        }
        for row in found
        if not low or totals[row.sku] <= row.reorder_point
    ]


def free_allocations(
    connection: Connection, order_id: int, actor: str, reason: str, at: datetime
) -> int:
    """Give back every unit reserved for an order; returns how many were freed.

    Picked units go back on hand here too once picking exists (issue: pick):
    the allocation rows will then say how many of their units were picked.
    """
    # Lock the bins in id order, as `process` does, so the two cannot deadlock.
    connection.execute(
        select(STOCK.c.id)
        .join(
            ALLOCATIONS,
            and_(ALLOCATIONS.c.sku == STOCK.c.sku, ALLOCATIONS.c.location == STOCK.c.location),
        )
        .where(ALLOCATIONS.c.order_id == order_id)
        .order_by(STOCK.c.id)
        .with_for_update(of=STOCK)
    ).all()
    reserved = connection.execute(
        select(ALLOCATIONS.c.sku, ALLOCATIONS.c.location, func.sum(ALLOCATIONS.c.qty))
        .where(ALLOCATIONS.c.order_id == order_id)
        .group_by(ALLOCATIONS.c.sku, ALLOCATIONS.c.location)
        .order_by(ALLOCATIONS.c.sku, ALLOCATIONS.c.location)
    ).all()
    freed = 0
    for sku, location, qty in reserved:
        changed = connection.execute(
            update(STOCK)
            .where(and_(STOCK.c.sku == sku, STOCK.c.location == location, STOCK.c.allocated >= qty))
            .values(allocated=STOCK.c.allocated - qty)
        ).rowcount
        if changed != 1:
            raise Conflict(f"stock of {sku} in {location} no longer holds the {qty} allocated")
        connection.execute(
            insert(STOCK_MOVEMENTS),
            [movement_values(at, actor, sku, location, allocated=-int(qty), reason=reason,
                             order_id=order_id)],
        )  # fmt: skip
        freed += int(qty)
    connection.execute(delete(ALLOCATIONS).where(ALLOCATIONS.c.order_id == order_id))
    return freed
