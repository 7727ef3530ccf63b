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

from sqlalchemy import Connection
from sqlmodel import Session

from orderops.domain.allocation import bin_order
from orderops.domain.stock import DEFAULT_LOCATION, MAX_UNITS, StockRecord
from orderops.errors import Conflict, InvalidInput, NotFound, UsageProblem
from orderops.services.clock import local_text, utcnow
from orderops.store.database import Database
from orderops.store.stock import (
    BinLevels,
    add_products,
    bin_levels,
    change_product,
    locations_of,
    product_exists,
    products,
    stock_rows,
)
from orderops.store.stock_moves import (
    RecordedMove,
    StockMove,
    ensure_bins,
    move_stock,
    recorded_move,
)


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
        levels = bin_levels(connection, sorted({r.sku for r in records}))
        _refuse_below_allocated(records, levels)
        moves = []
        for record in records:
            found = levels.get((record.sku, record.location))
            old = found.on_hand if found is not None else 0
            if found is None:
                summary.bins_added += 1
            elif record.on_hand != old:
                summary.bins_changed += 1
            else:
                summary.bins_unchanged += 1
            moves.append(
                StockMove(record.sku, record.location, on_hand=record.on_hand - old,
                          reason=f"import {record.source}")
            )  # fmt: skip
        ensure_bins(connection, [(r.sku, r.location) for r in records])
        move_stock(connection, moves, actor, now)
        return summary

    return db.write(work)


def _refuse_below_allocated(
    records: Sequence[StockRecord], levels: dict[tuple[str, str], BinLevels]
) -> None:
    """Conflict naming every bin the file would set below what is allocated there."""
    refused = []
    for record in records:
        found = levels.get((record.sku, record.location))
        if found is not None and record.on_hand < found.allocated:
            refused.append(
                f"{record.source}: SKU {record.sku} in {record.location}: on hand "
                f"{record.on_hand} would be below the {found.allocated} allocated"
            )
    if refused:
        raise Conflict(
            f"{len(refused)} bin(s) would go below what is allocated: "
            + "; ".join(refused[:5])
            + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
            + "; nothing was written"
        )


def _upsert_products(
    connection: Connection, records: Sequence[StockRecord], now: datetime, summary: ImportSummary
) -> None:
    """Add the file's new products; change the details it gives of known ones."""
    wanted: dict[str, dict[str, Any]] = {}
    for record in records:
        details = wanted.setdefault(record.sku, {})
        for column in ("name", "barcode", "reorder_point"):
            value = getattr(record, column)
            if value is not None:
                details[column] = value
    known = products(connection, list(wanted))
    added = [
        {"sku": sku, "name": d.get("name", ""), "barcode": d.get("barcode", ""),
         "reorder_point": d.get("reorder_point", 0), "updated_at": now}
        for sku, d in wanted.items()
        if sku not in known
    ]  # fmt: skip
    add_products(connection, added)
    summary.products_added = len(added)
    for sku, details in wanted.items():
        row = known.get(sku)
        changes = {k: v for k, v in details.items() if row is not None and row[k] != v}
        if changes:
            change_product(connection, sku, changes, now)
            summary.products_updated += 1


def _resolve_bin(connection: Connection, sku: str, location: str | None) -> str:
    """The bin meant: the one given, else the SKU's only bin, else the default one."""
    from orderops.formats.records import FieldError
    from orderops.formats.stock_files import parse_location

    if location is not None:
        try:
            return parse_location(location)
        except FieldError as exc:
            raise UsageProblem(f"--location {location!r} {exc}") from None
    bins = locations_of(connection, sku)
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
    ref: str = "",
) -> dict[str, Any]:
    """`stock add` (relative: a delivery, or a correction when negative) or `stock set`.

    Refused (Conflict) when it would take the bin below what is allocated
    there, or below zero. With `ref` (a delivery note, `stock add` only), a
    delivery already recorded under that ref for this SKU and bin is not added
    again: the same quantity is reported as already recorded, another one is
    refused (Conflict) naming the earlier delivery.
    """
    sku = _checked_sku(sku)
    _refuse_hidden_location(location)
    ref = _checked_ref(ref)
    _check_quantity(qty, relative)
    if ref and not relative:
        raise UsageProblem("--ref goes with stock add: a count set twice is the same count")
    if relative and qty == 0:
        raise UsageProblem("QTY must not be 0")  # nothing to add: and a --ref would not hold

    def work(session: Session) -> dict[str, Any]:
        connection = session.connection()
        if not product_exists(connection, sku):
            raise NotFound(f"no product {sku}; add it with `orderops stock import`")
        where = _resolve_bin(connection, sku, location)
        earlier = None
        if ref:
            ensure_bins(connection, [(sku, where)])
            earlier = recorded_move(connection, ref, sku, where)  # the bin locked first
        found = bin_levels(connection, [sku]).get((sku, where))
        old, allocated = (found.on_hand, found.allocated) if found else (0, 0)
        if earlier is not None:
            _refuse_other_quantity(ref, sku, where, earlier, qty)
            return _levels(sku, where, old, allocated, 0, ref) | {
                "already_recorded": True,
                "recorded_at": earlier.at,
                "recorded_by": earlier.actor,
            }
        target = old + qty if relative else qty
        _refuse_below(sku, where, found, target)
        _refuse_above(sku, where, old, target)
        ensure_bins(connection, [(sku, where)])
        move = StockMove(sku, where, on_hand=target - old, reason=reason, ref=ref)
        move_stock(connection, [move], actor, utcnow())
        return _levels(sku, where, target, allocated, target - old, ref)

    return db.write(work)


def _levels(
    sku: str, where: str, on_hand: int, allocated: int, delta: int, ref: str
) -> dict[str, Any]:
    return {
        "sku": sku,
        "location": where,
        "delta": delta,
        "on_hand": on_hand,
        "allocated": allocated,
        "available": on_hand - allocated,
        "ref": ref or None,
        "already_recorded": False,
    }


def _checked_sku(sku: str) -> str:
    """The SKU as a stock file's is read; InvalidInput (exit 4) if it cannot be one:
    too long, or holding a character that could drive a terminal or hide."""
    from orderops.formats.records import FieldError, parse_code

    try:
        return parse_code(sku)
    except FieldError as exc:
        raise InvalidInput([f"SKU {sku!r} {exc}"]) from None


def _refuse_hidden_location(location: str | None) -> None:
    """InvalidInput (exit 4) for a --location holding an invisible or control
    character; any other malformed bin code is a usage problem, found later."""
    from orderops.domain.characters import escaped, hidden_character

    hidden = None if location is None else hidden_character(location)
    if hidden is not None:
        raise InvalidInput(
            [f"--location {location!r} contains {escaped(hidden)}, "
             "an invisible or control character"]
        )  # fmt: skip


REF_LENGTH = 64


def _checked_ref(ref: str) -> str:
    """A delivery note number as given (spaces around it dropped); UsageProblem if it
    is empty when given, too long, or holds control characters."""
    if not ref:
        return ""
    text = ref.strip()
    if not text:
        raise UsageProblem("--ref must not be empty")
    if len(text) > REF_LENGTH:
        raise UsageProblem(f"--ref is at most {REF_LENGTH} characters, not {len(text)}")
    if not text.isprintable():
        raise UsageProblem(f"--ref {text!r} holds control or invisible characters")
    return text


def _refuse_other_quantity(ref: str, sku: str, where: str, earlier: RecordedMove, qty: int) -> None:
    """Conflict when a delivery note comes again with another quantity than recorded."""
    if earlier.on_hand == qty:
        return
    when = local_text(earlier.at)
    raise Conflict(
        f"delivery {ref} of {sku} in {where} was already recorded on {when} by "
        f"{earlier.actor} as {earlier.on_hand:+d}, not {qty:+d}; nothing was written "
        "(a correction is `stock add` without that --ref)"
    )


def _check_quantity(qty: int, relative: bool) -> None:
    """UsageProblem for a QTY past MAX_UNITS (either way for `stock add`)."""
    if relative and not -MAX_UNITS <= qty <= MAX_UNITS:
        raise UsageProblem(f"QTY must be between {-MAX_UNITS:,} and {MAX_UNITS:,}, not {qty:,}")
    if not relative and not 0 <= qty <= MAX_UNITS:
        raise UsageProblem(f"QTY must be between 0 and {MAX_UNITS:,}, not {qty:,}")


def _refuse_above(sku: str, where: str, old: int, target: int) -> None:
    """Conflict for a change that would take a bin past MAX_UNITS (one already past it,
    from before there was a bound, may still be brought down)."""
    if target > MAX_UNITS and target > old:
        raise Conflict(
            f"cannot bring {sku} in {where} to {target:,} on hand: a bin holds at most "
            f"{MAX_UNITS:,} units; nothing was written"
        )


def _refuse_below(sku: str, where: str, found: BinLevels | None, target: int) -> None:
    """Conflict, in the operator's terms, for a count below zero or below what is allocated."""
    if found is None:
        if target < 0:
            raise Conflict(f"cannot take {-target} of {sku} from {where}: it holds none")
        return
    old = found.on_hand
    if target < 0:
        raise Conflict(f"cannot take {old - target} of {sku} from {where}: it holds {old}")
    if target < found.allocated:
        raise Conflict(
            f"cannot bring {sku} in {where} to {target} on hand: {found.allocated} of its "
            f"{old} are allocated; stock cannot go below what is allocated "
            "(cancel those orders first)"
        )


def list_stock(db: Database, *, low: bool = False) -> list[dict[str, Any]]:
    """One row per SKU and bin, SKUs in order, bins in shelf order.

    `low`: only SKUs whose units available over all bins are at or below
    their reorder point.
    """
    with db.transaction(write=False) as session:
        found = stock_rows(session.connection())
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
