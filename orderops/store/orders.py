"""Reading and writing orders and their lines (statuses: `store.status`).

The statements over a run's thousands of order ids go to the driver as written
(`store.driver`): Core would compile their IN lists anew for every batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, RowMapping, delete, func, select, update
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from orderops.domain.allocation import LineRequest
from orderops.domain.orders import ORDER_FIELDS
from orderops.lifecycle import Status
from orderops.store.bulk import insert_columns, insert_rows
from orderops.store.driver import (
    all_rows,
    batches,
    bind_value,
    by_id_only,
    for_update,
    rows_in,
)
from orderops.store.engine import defer_checkpoints, widen_cache
from orderops.store.locks import serialize_receiving
from orderops.store.tables import ORDER_LINES, ORDERS, Order, OrderEvent, OrderLine

# ---------------------------------------------------------------- looking up


def find_order(session: Session, key: str) -> Order | None:
    """The order with this number, else the latest one for this e-mail address."""
    key = key.strip()
    order = session.exec(orm_select(Order).where(Order.order_number == key)).first()
    if order is None and "@" in key:
        order = session.exec(
            orm_select(Order)
            .where(func.lower(Order.email) == key.lower())
            .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        ).first()
    return order


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    query = orm_select(OrderLine).where(OrderLine.order_id == order_id)
    return list(session.exec(query.order_by(col(OrderLine.line_no))).all())


def order_events(session: Session, order_id: int) -> list[OrderEvent]:
    query = orm_select(OrderEvent).where(OrderEvent.order_id == order_id)
    return list(session.exec(query.order_by(col(OrderEvent.id))).all())


def other_orders(session: Session, email: str, but: int) -> list[str]:
    """The numbers of the other orders of this e-mail address, oldest first."""
    query = (
        orm_select(Order.order_number)
        .where(func.lower(Order.email) == email.lower(), Order.id != but)
        .order_by(col(Order.placed_at))
    )
    return list(session.exec(query).all())


def orders_with_line_counts(
    session: Session, statuses: Sequence[str] = ()
) -> list[tuple[Order, int]]:
    """Orders with their numbers of lines, oldest placed first."""
    line_count = (
        orm_select(OrderLine.order_id, func.count().label("n"))
        .group_by(col(OrderLine.order_id))
        .subquery()
    )
    query = (
        orm_select(Order, line_count.c.n)
        .join(line_count, line_count.c.order_id == Order.id)
        .order_by(col(Order.placed_at), col(Order.id))
    )
    if statuses:
        query = query.where(col(Order.status).in_(statuses))
    return [(order, count) for order, count in session.exec(query).all()]


def order_ids(connection: Connection, numbers: Sequence[str]) -> dict[str, int]:
    """The ids of the orders of `numbers` that exist."""
    sql = "SELECT order_number, id FROM orders WHERE order_number IN ({values})"
    return {number: order_id for number, order_id in rows_in(connection, sql, numbers)}


# ---------------------------------------------------------------- processing


class OrderToMove(NamedTuple):
    """An order as a status change needs it: its number, status and held-from."""

    id: int
    number: str
    status: str
    held_from: str | None


def expired_holds(
    connection: Connection, ids: Sequence[int] | None, now: datetime
) -> list[tuple[OrderToMove, datetime]]:
    """Held orders (of `ids`, or all) whose until-date has passed, locked, with that date."""
    query = (
        select(ORDERS.c.id, ORDERS.c.order_number, ORDERS.c.status, ORDERS.c.held_from,
               ORDERS.c.hold_until)
        .where(ORDERS.c.status == Status.ON_HOLD.value, ORDERS.c.hold_until <= now)
        .order_by(ORDERS.c.id)
        .with_for_update()
    )  # fmt: skip
    if ids is None:
        rows = list(connection.execute(query))
    else:
        rows = [row for batch in batches(ids) for row in connection.execute(
            query.where(ORDERS.c.id.in_(batch)))]  # fmt: skip
    return [(OrderToMove(*row[:4]), row.hold_until) for row in rows]


class Queued(NamedTuple):
    id: int
    number: str
    status: str


# The order `process` takes orders in: highest priority first, then earliest
# ship-by (none last), then earliest placed.
_PROCESSING_ORDER = "priority DESC, ship_by IS NULL, ship_by, placed_at, id"


def processing_queue(connection: Connection, statuses: Sequence[str]) -> list[int]:
    """The ids of every order in `statuses`, in the order `process` takes them."""
    marks = ", ".join("?" * len(statuses))
    sql = f"SELECT id FROM orders WHERE status IN ({marks}) ORDER BY {_PROCESSING_ORDER}"
    return [order_id for (order_id,) in all_rows(connection, sql, statuses)]


def named_queue(connection: Connection, ids: Sequence[int]) -> list[Queued]:
    """The orders of `ids`, whatever their status, in the order `process` takes them."""
    query = select(
        ORDERS.c.id, ORDERS.c.order_number, ORDERS.c.status, ORDERS.c.priority,
        ORDERS.c.ship_by, ORDERS.c.placed_at,
    )  # fmt: skip
    rows = [row for batch in batches(ids) for row in connection.execute(
        query.where(ORDERS.c.id.in_(batch)))]  # fmt: skip
    rows.sort(key=_first_first)
    return [Queued(row.id, row.order_number, row.status) for row in rows]


def _first_first(row: Any) -> tuple[Any, ...]:
    """Highest priority, then earliest ship-by (none last), then earliest placed."""
    return (-row.priority, row.ship_by is None, row.ship_by or date.min, row.placed_at, row.id)


# SQLite's page cache for a `process` chunk (KiB): the orders table, their lines and
# the indexes a chunk writes stay in memory from one chunk to the next.
PROCESS_CACHE_KIB = 262_144
# WAL pages (4 KiB) a run of chunks may leave before a commit copies them back into
# the file: a few chunks' worth (a chunk of 50,000 orders writes some 20,000), so
# that pages every chunk rewrites are copied once for several. At 25,000, processing
# 100,000 orders copied 111 MiB back and wrote 203 MiB of WAL; at 50,000, 70 MiB
# and 163 MiB.
PROCESS_CHECKPOINT_PAGES = 50_000


def begin_processing_chunk(connection: Connection) -> None:
    """Room for a `process` chunk's pages, and checkpoints deferred across chunks."""
    widen_cache(connection, PROCESS_CACHE_KIB)
    defer_checkpoints(connection, PROCESS_CHECKPOINT_PAGES)


class OrderToProcess(NamedTuple):
    number: str
    status: str
    held_from: str | None
    # What verification reads.
    customer_name: str
    address1: str
    city: str
    country: str
    postal_code: str


_ADDRESS = OrderToProcess._fields[3:]


def orders_to_process(
    connection: Connection, ids: Sequence[int], statuses: Sequence[str]
) -> dict[int, OrderToProcess]:
    """Orders of `ids` still in `statuses`, by id; locked in id order on PostgreSQL.

    On SQLite they are found by id alone (`by_id_only`), whatever the planner's
    sampled statistics say of the status condition.
    """
    marks = ", ".join("?" * len(statuses))
    sql = (
        f"SELECT id, order_number, status, held_from, {', '.join(_ADDRESS)} "
        f"FROM orders{by_id_only(connection)} WHERE status IN ({marks}) AND id IN ({{values}}) "
        f"ORDER BY id{for_update(connection)}"
    )
    rows = rows_in(connection, sql, sorted(ids), statuses)
    return {row[0]: OrderToProcess._make(row[1:]) for row in rows}


# An order's lines in line order: ix_order_lines_order_id_line_no gives them so, unsorted.
_LINES_OF_ORDERS = (
    "SELECT order_id, id, sku, qty FROM order_lines WHERE order_id IN ({values}) "
    "ORDER BY order_id, line_no"
)


def line_requests(connection: Connection, ids: Sequence[int]) -> dict[int, list[LineRequest]]:
    """What each order's lines ask for, in line order."""
    lines: dict[int, list[LineRequest]] = {order_id: [] for order_id in ids}
    for order_id, line_id, sku, qty in rows_in(connection, _LINES_OF_ORDERS, ids):
        lines[order_id].append(LineRequest(line_id, sku, qty))
    return lines


def lock_order(connection: Connection, number: str) -> OrderToMove | None:
    """One order, by number, locked for this transaction."""
    sql = (
        "SELECT id, order_number, status, held_from FROM orders WHERE order_number = ?"
        f"{for_update(connection)}"
    )
    rows = all_rows(connection, sql, (number,))
    return OrderToMove(*rows[0]) if rows else None


# ---------------------------------------------------------------- receiving


def begin_receiving(connection: Connection) -> None:
    """Take the receiving lock (one run at a time) and room for a bulk write."""
    serialize_receiving(connection)
    widen_cache(connection)


class KnownOrder(NamedTuple):
    id: int
    fingerprint: str
    status: str
    held_from: str | None
    # Inserted earlier in the same receiving run (its received_at is the run's).
    this_run: bool


def known_orders(
    connection: Connection, numbers: Sequence[str], run_at: datetime, *, lock: bool
) -> dict[str, KnownOrder]:
    """The orders of `numbers` already in the database; with `lock`, locked (PostgreSQL)."""
    sql = (
        "SELECT order_number, id, fingerprint, status, held_from, received_at = ? "
        "FROM orders WHERE order_number IN ({values})"
    )
    if lock:
        sql += f" ORDER BY id{for_update(connection)}"
    at = bind_value(connection, ORDERS.c.received_at, run_at)
    rows = rows_in(connection, sql, numbers, (at,))
    return {
        number: KnownOrder(order_id, fingerprint, status, held_from, bool(this_run))
        for number, order_id, fingerprint, status, held_from, this_run in rows
    }


def stored_placed_at(connection: Connection, ids: Sequence[int]) -> dict[int, datetime]:
    """The stored placed_at of orders `ids`."""
    query = select(ORDERS.c.id, ORDERS.c.placed_at)
    return {
        order_id: placed_at
        for batch in batches(ids)
        for order_id, placed_at in connection.execute(query.where(ORDERS.c.id.in_(batch)))
    }


def stored_order(connection: Connection, order_id: int) -> RowMapping:
    """Every column of one order."""
    return connection.execute(select(ORDERS).where(ORDERS.c.id == order_id)).mappings().one()


def stored_lines(connection: Connection, order_id: int) -> list[tuple[Any, ...]]:
    """One order's lines as (sku, name, qty, unit_price_minor), in line order."""
    query = (
        select(ORDER_LINES.c.sku, ORDER_LINES.c.name, ORDER_LINES.c.qty,
               ORDER_LINES.c.unit_price_minor)
        .where(ORDER_LINES.c.order_id == order_id)
        .order_by(ORDER_LINES.c.line_no)
    )  # fmt: skip
    return [tuple(row) for row in connection.execute(query)]


Columns = Mapping[str, Iterable[Any]]


def add_lines(connection: Connection, columns: Columns, count: int) -> None:
    """Insert `count` order lines given column by column."""
    insert_columns(connection, ORDER_LINES, columns, count)


LINE_COLUMNS = ("order_id", "line_no", "sku", "name", "qty", "unit_price_minor")


def replace_content(
    connection: Connection, order_id: int, values: Mapping[str, Any], lines: list[tuple[Any, ...]]
) -> None:
    """Write an order's new fields (not its status) and lines (rows of LINE_COLUMNS)."""
    connection.execute(update(ORDERS).where(ORDERS.c.id == order_id).values(dict(values)))
    connection.execute(delete(ORDER_LINES).where(ORDER_LINES.c.order_id == order_id))
    insert_rows(connection, ORDER_LINES, LINE_COLUMNS, lines)


# ---------------------------------------------------------------- exporting


def export_rows(
    session: Session,
    statuses: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    stream_rows: int = 2000,
) -> Iterator[Any]:
    """Orders joined with their lines (an order's rows together), oldest placed first,
    streamed; `since` inclusive and `until` exclusive, on placed_at."""
    query = (
        select(
            ORDERS.c.id,
            *(ORDERS.c[name] for name in ORDER_FIELDS),
            ORDER_LINES.c.sku,
            ORDER_LINES.c.name.label("line_name"),
            ORDER_LINES.c.qty,
            ORDER_LINES.c.unit_price_minor,
        )
        .join(ORDER_LINES, ORDER_LINES.c.order_id == ORDERS.c.id)
        .order_by(ORDERS.c.placed_at, ORDERS.c.id, ORDER_LINES.c.line_no)
    )
    if statuses:
        query = query.where(ORDERS.c.status.in_(statuses))
    if since is not None:
        query = query.where(ORDERS.c.placed_at >= since)
    if until is not None:
        query = query.where(ORDERS.c.placed_at < until)
    connection = session.connection().execution_options(yield_per=stream_rows)
    yield from connection.execute(query)
