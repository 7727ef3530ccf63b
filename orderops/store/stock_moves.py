"""The one way stock changes: a batch of moves, each bin updated atomically, each move logged.

A `StockMove` changes one bin's units on hand and units allocated:
reserving for an order (allocated +n), releasing a reservation (allocated
-n), taking picked units out of the bin (on hand -n, allocated -n), putting
them back, a delivery or a count correction (on hand +/-n). `move_stock`
applies a batch of them in the caller's transaction: the moves of one bin
are added up into one conditional UPDATE that only matches while the bin
keeps 0 <= allocated <= on hand; every UPDATE must change its row, or the
batch is refused whole (Conflict); and each move writes its stock_movements
row. The bins are locked in id order first (row locks on PostgreSQL; SQLite's
write transaction holds the whole database), as every writer of stock does,
so two of them never wait on each other in a circle.

The reservations themselves (which order line holds which units in which
bin) are the allocations rows: `add_allocations` and `release_allocations`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from orderops.errors import Conflict
from orderops.store.driver import (
    bind_value,
    driver_sql,
    insert_many,
    rows_in,
    run_in_batches,
)
from orderops.store.stock import lock_bins
from orderops.store.tables import STOCK_MOVEMENTS

BinKey = tuple[str, str]  # (sku, location)
_ORDER_ID = attrgetter("order_id")


class StockMove(NamedTuple):
    """A change of one bin: units on hand and units allocated, and why."""

    sku: str
    location: str
    on_hand: int = 0
    allocated: int = 0
    reason: str = ""
    order_id: int | None = None
    # A delivery note number: recorded once per SKU and bin (a unique index holds it).
    ref: str = ""


def move_stock(
    connection: Connection, moves: Sequence[StockMove], actor: str, at: datetime
) -> None:
    """Apply every move, or none (Conflict naming the bins that cannot take theirs)."""
    per_bin: dict[BinKey, list[int]] = {}
    for move in moves:
        totals = per_bin.setdefault((move.sku, move.location), [0, 0])
        totals[0] += move.on_hand
        totals[1] += move.allocated
    bin_ids = lock_bins(connection, sorted({sku for sku, _ in per_bin}))
    missing = [key for key in per_bin if key not in bin_ids]
    if missing:
        raise Conflict(f"no bin {_named(missing)}; nothing was written")
    changes = sorted(
        (bin_ids[key], on_hand, allocated)
        for key, (on_hand, allocated) in per_bin.items()
        if on_hand or allocated
    )
    _update_bins(connection, changes, bin_ids)
    _insert_movements(connection, moves, actor, at)


_UPDATE_BIN = (
    "UPDATE stock SET on_hand = on_hand + ?, allocated = allocated + ? "
    "WHERE id = ? AND allocated + ? >= 0 AND on_hand + ? >= allocated + ?"
)


def _update_bins(
    connection: Connection, changes: list[tuple[int, int, int]], bin_ids: dict[BinKey, int]
) -> None:
    """One conditional UPDATE per bin, in id order; each must change its row."""
    if not changes:
        return
    params = [(dh, da, bin_id, da, dh, da) for bin_id, dh, da in changes]
    changed = connection.exec_driver_sql(driver_sql(connection, _UPDATE_BIN), params).rowcount
    if changed != len(changes):
        refused = _refused_bins(connection, changes, bin_ids)
        raise Conflict(
            f"stock cannot go below what is allocated, nor below zero: {'; '.join(refused)}; "
            "nothing was written"
        )


def _refused_bins(
    connection: Connection, changes: list[tuple[int, int, int]], bin_ids: dict[BinKey, int]
) -> list[str]:
    """The bins whose change broke the rule, as the levels stand (for the message)."""
    names = {bin_id: key for key, bin_id in bin_ids.items()}
    levels = {
        bin_id: (on_hand, allocated)
        for bin_id, on_hand, allocated in rows_in(
            connection,
            "SELECT id, on_hand, allocated FROM stock WHERE id IN ({values})",
            [bin_id for bin_id, _, _ in changes],
        )
    }
    refused = []
    for bin_id, dh, da in changes:
        on_hand, allocated = levels[bin_id]
        if allocated + da < 0 or on_hand + dh < allocated + da:
            sku, location = names[bin_id]
            refused.append(
                f"{sku} in {location} holds {on_hand} ({allocated} allocated), "
                f"asked for {dh:+d} on hand, {da:+d} allocated"
            )
    return refused[:5] or ["another process changed the bins meanwhile"]


# A StockMove's fields, in order, as its stock_movements row names them.
MOVEMENT_COLUMNS = (
    "sku", "location", "on_hand_delta", "allocated_delta", "reason", "order_id", "ref",
)  # fmt: skip


def _insert_movements(
    connection: Connection, moves: Sequence[StockMove], actor: str, at: datetime
) -> None:
    rows = [move for move in moves if move.on_hand or move.allocated]
    # In order id order (moves for no order first): rows inserted in index order cost
    # less than scattered ones.
    if None in map(_ORDER_ID, rows):
        rows.sort(key=lambda move: move.order_id or 0)
    else:
        rows.sort(key=_ORDER_ID)
    same = {"at": bind_value(connection, STOCK_MOVEMENTS.c.at, at), "actor": actor}
    insert_many(connection, "stock_movements", MOVEMENT_COLUMNS, rows, same)


class RecordedMove(NamedTuple):
    """A movement recorded earlier under a reference (a delivery note)."""

    at: datetime
    actor: str
    on_hand: int
    reason: str


def recorded_move(connection: Connection, ref: str, sku: str, location: str) -> RecordedMove | None:
    """The movement recorded with `ref` for this SKU and bin, if any.

    The bin (which must exist: `ensure_bins`) is locked first, so that another
    transaction moving it with the same ref has either committed, and its row is
    seen here, or not begun (PostgreSQL reads what was committed before each
    statement; SQLite's write transaction holds the whole database).
    """
    lock_bins(connection, [sku])
    table = STOCK_MOVEMENTS
    found = connection.execute(
        select(table.c.at, table.c.actor, table.c.on_hand_delta, table.c.reason).where(
            table.c.ref == ref, table.c.sku == sku, table.c.location == location
        )
    ).first()
    return None if found is None else RecordedMove(*found)


def ensure_bins(connection: Connection, keys: Iterable[BinKey]) -> None:
    """Make the bins of `keys` that do not exist yet, empty (a first delivery)."""
    rows = list(dict.fromkeys(keys))
    if rows:
        sql = (
            "INSERT INTO stock (sku, location, on_hand, allocated) VALUES (?, ?, 0, 0) "
            "ON CONFLICT (sku, location) DO NOTHING"
        )
        connection.exec_driver_sql(driver_sql(connection, sql), rows)


ALLOCATION_COLUMNS = ("order_id", "order_line_id", "sku", "location", "qty")


def add_allocations(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Record reservations: rows of ALLOCATION_COLUMNS (the bins' own moves go through
    `move_stock`)."""
    insert_many(connection, "allocations", ALLOCATION_COLUMNS, sorted(rows, key=itemgetter(0)))


def release_allocations(
    connection: Connection, order_ids: Sequence[int], actor: str, at: datetime, reason: str
) -> dict[int, int]:
    """Give back every unit reserved for these orders; the units freed per order."""
    reserved = rows_in(
        connection,
        "SELECT order_id, sku, location, SUM(qty) FROM allocations WHERE order_id IN ({values}) "
        "GROUP BY order_id, sku, location ORDER BY order_id, sku, location",
        order_ids,
    )
    moves = [
        StockMove(sku, location, allocated=-int(qty), reason=reason, order_id=order_id)
        for order_id, sku, location, qty in reserved
    ]
    move_stock(connection, moves, actor, at)
    run_in_batches(connection, "DELETE FROM allocations WHERE order_id IN ({values})", order_ids)
    freed: dict[int, int] = dict.fromkeys(order_ids, 0)
    for move in moves:
        assert move.order_id is not None
        freed[move.order_id] -= move.allocated
    return freed


def _named(keys: Sequence[BinKey]) -> str:
    return ", ".join(f"{sku} in {location}" for sku, location in keys[:5])
