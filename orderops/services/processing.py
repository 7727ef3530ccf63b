"""`process`: verify each received or backordered order, then allocate it whole.

The run, in this order:
1. Release holds whose until-date has passed (one transaction).
2. Queue the orders to process: the ones named, or every received and
   backordered order; highest priority first, then earliest ship-by (none
   last), then earliest placed.
3. Work through the queue in chunks of CHUNK orders, one write transaction
   each. A chunk loads its orders (locking them on PostgreSQL), their lines,
   the products and the bins of their SKUs (locked: BEGIN IMMEDIATE on
   SQLite, FOR UPDATE on PostgreSQL), decides every order in memory with
   `domain.allocation`, and writes the result in bulk: conditional stock
   updates whose row counts are checked, status updates, events, allocation
   and movement rows.

Why chunks: one transaction per order would pay a commit (an fsync) per order;
one transaction for the whole run would hold the write lock for its whole
length, and the other terminals and cron jobs would wait it out or time out.
A chunk of CHUNK orders holds the lock for a few tenths of a second, so
several processes interleave fairly and nothing waits long (the busy timeout
is 30 s). Much of a chunk's cost does not grow with its size (reading the bins
of its SKUs, the commit, index pages shared by its rows), so chunks much
smaller than this make a whole run markedly slower. A chunk re-reads the
status of its orders under the lock, so an order that another process
handled in the meantime is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlmodel import Session

from orderops import lifecycle
from orderops.domain.allocation import LineRequest, Reservation, allocate_order, units_by_bin
from orderops.domain.verification import hold_reasons
from orderops.errors import Conflict, NotFound, TransitionRefused
from orderops.lifecycle import Action, Status, Transition
from orderops.services.transitions import event_values, utcnow
from orderops.store.bulk import insert_rows
from orderops.store.database import Database
from orderops.store.engine import widen_cache
from orderops.store.tables import (
    ALLOCATIONS,
    ORDER_EVENTS,
    ORDER_LINES,
    ORDERS,
    PRODUCTS,
    STOCK,
    STOCK_MOVEMENTS,
)

CHUNK = 2000
BATCH = 2000
PROCESSABLE = (Status.RECEIVED.value, Status.BACKORDERED.value)


@dataclass(frozen=True)
class Outcome:
    order_number: str
    outcome: str  # ready, backordered, held, skipped
    reason: str = ""


@dataclass
class ProcessSummary:
    released: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    def as_json(self) -> dict[str, Any]:
        return {
            "ready": self.count("ready"),
            "backordered": self.count("backordered"),
            "held": self.count("held"),
            "skipped": self.count("skipped"),
            "released": len(self.released),
            "released_orders": self.released,
            "orders": [
                {"order_number": o.order_number, "outcome": o.outcome}
                | ({"reason": o.reason} if o.reason else {})
                for o in self.outcomes
            ],
        }


def process_orders(db: Database, numbers: Sequence[str], actor: str) -> ProcessSummary:
    """Process the named orders, or every received and backordered one."""
    summary = ProcessSummary()
    named = _resolve(db, numbers) if numbers else None

    def release(session: Session) -> list[str]:
        return release_expired_holds(session.connection(), named, actor, utcnow())

    summary.released = db.write(release)
    queue, skipped = _queue(db, named)
    summary.outcomes.extend(skipped)
    known: set[str] = set()
    for start in range(0, len(queue), CHUNK):
        chunk = queue[start : start + CHUNK]
        summary.outcomes.extend(
            db.write(partial(_process_chunk, ids=chunk, actor=actor, known=known))
        )
    return summary


def _resolve(db: Database, numbers: Sequence[str]) -> list[int]:
    """The ids of the named orders, in the order named; NotFound names every unknown one."""
    unique = list(dict.fromkeys(numbers))
    with db.transaction(write=False) as session:
        found: dict[str, int] = {}
        for start in range(0, len(unique), BATCH):
            rows = session.connection().execute(
                select(ORDERS.c.order_number, ORDERS.c.id).where(
                    ORDERS.c.order_number.in_(unique[start : start + BATCH])
                )
            )
            found.update({number: order_id for number, order_id in rows})
    missing = [n for n in unique if n not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        raise NotFound(f"no order {shown}; nothing was processed")
    return [found[n] for n in unique]


def release_expired_holds(
    connection: Connection, named: Sequence[int] | None, actor: str, now: datetime
) -> list[str]:
    """Return orders whose hold's until-date has passed to where they were held from."""
    query = (
        select(ORDERS.c.id, ORDERS.c.order_number, ORDERS.c.status, ORDERS.c.held_from,
               ORDERS.c.hold_until)
        .where(ORDERS.c.status == Status.ON_HOLD.value, ORDERS.c.hold_until <= now)
        .order_by(ORDERS.c.id)
        .with_for_update()
    )  # fmt: skip
    if named is None:
        expired = list(connection.execute(query))
    else:
        expired = [
            row
            for start in range(0, len(named), BATCH)
            for row in connection.execute(
                query.where(ORDERS.c.id.in_(named[start : start + BATCH]))
            )
        ]
    released, status_rows, events = [], [], []
    for row in expired:
        transition = lifecycle.apply(
            row.order_number, Status(row.status), Action.RELEASE,
            Status(row.held_from) if row.held_from else None,
        )  # fmt: skip
        status_rows.append(_status_change(row.id, transition))
        events.append(
            event_values(row.id, transition, actor, now,
                         {"reason": "hold expired", "until": row.hold_until})
        )  # fmt: skip
        released.append(row.order_number)
    _write_statuses(connection, status_rows, now)
    if events:
        connection.execute(insert(ORDER_EVENTS), events)
    return released


def _queue(db: Database, named: Sequence[int] | None) -> tuple[list[int], list[Outcome]]:
    """Ids to process, first first; and the named orders that cannot be processed."""
    order = (
        ORDERS.c.priority.desc(),
        ORDERS.c.ship_by.is_(None),
        ORDERS.c.ship_by,
        ORDERS.c.placed_at,
        ORDERS.c.id,
    )
    query = select(
        ORDERS.c.id, ORDERS.c.order_number, ORDERS.c.status, ORDERS.c.priority,
        ORDERS.c.ship_by, ORDERS.c.placed_at,
    ).order_by(*order)  # fmt: skip
    rows: list[Any] = []
    with db.transaction(write=False) as session:
        if named is None:
            rows = list(session.connection().execute(query.where(ORDERS.c.status.in_(PROCESSABLE))))
        else:
            for start in range(0, len(named), BATCH):
                rows.extend(
                    session.connection().execute(
                        query.where(ORDERS.c.id.in_(named[start : start + BATCH]))
                    )
                )
            rows.sort(key=_first_first)
    skipped = [
        Outcome(row.order_number, "skipped", _refusal(row.order_number, row.status))
        for row in rows
        if row.status not in PROCESSABLE
    ]
    return [row.id for row in rows if row.status in PROCESSABLE], skipped


def _first_first(row: Any) -> tuple[Any, ...]:
    """Highest priority, then earliest ship-by (none last), then earliest placed."""
    return (-row.priority, row.ship_by is None, row.ship_by or date.min, row.placed_at, row.id)


def _refusal(number: str, status: str) -> str:
    """The lifecycle's own words for why this order cannot be allocated."""
    try:
        lifecycle.apply(number, Status(status), Action.ALLOCATE)
    except TransitionRefused as exc:
        return str(exc)
    return ""


def _process_chunk(
    session: Session, ids: Sequence[int], actor: str, known: set[str]
) -> list[Outcome]:
    connection = session.connection()
    widen_cache(connection)
    now = utcnow()
    orders = {
        row.id: row
        for row in connection.execute(
            select(
                ORDERS.c.id,
                ORDERS.c.order_number,
                ORDERS.c.status,
                ORDERS.c.held_from,
                ORDERS.c.customer_name,
                ORDERS.c.address1,
                ORDERS.c.city,
                ORDERS.c.country,
                ORDERS.c.postal_code,
            )
            .where(ORDERS.c.id.in_(ids), ORDERS.c.status.in_(PROCESSABLE))
            .order_by(ORDERS.c.id)
            .with_for_update()
        ).all()
    }  # fmt: skip
    lines: dict[int, list[LineRequest]] = {order_id: [] for order_id in orders}
    for line_id, order_id, sku, qty in connection.execute(
        select(ORDER_LINES.c.id, ORDER_LINES.c.order_id, ORDER_LINES.c.sku, ORDER_LINES.c.qty)
        .where(ORDER_LINES.c.order_id.in_(list(orders)))
        .order_by(ORDER_LINES.c.order_id, ORDER_LINES.c.line_no)
    ).all():
        lines[order_id].append(LineRequest(line_id, sku, qty))
    skus = sorted({line.sku for found in lines.values() for line in found})
    # Products are never deleted: a SKU found known stays known; only the others are asked.
    unknown = [sku for sku in skus if sku not in known]
    known.update(_in_batches(connection, select(PRODUCTS.c.sku), PRODUCTS.c.sku, unknown))
    available: dict[str, dict[str, int]] = {}
    bin_ids: dict[tuple[str, str], int] = {}
    for bin_id, sku, location, on_hand, allocated in _in_batches(
        connection,
        select(STOCK.c.id, STOCK.c.sku, STOCK.c.location, STOCK.c.on_hand, STOCK.c.allocated)
        .order_by(STOCK.c.id)
        .with_for_update(),
        STOCK.c.sku,
        skus,
        whole_rows=True,
    ):
        available.setdefault(sku, {})[location] = on_hand - allocated
        bin_ids[(sku, location)] = bin_id

    decisions = _Decisions(actor, now)
    for order_id in ids:
        order = orders.get(order_id)
        if order is None:
            continue  # processed by someone else since the queue was read
        order_lines = lines[order_id]
        fields = cast(Mapping[str, object], order._mapping)  # read in place: no dict per order
        reasons = hold_reasons(fields, (line.sku for line in order_lines), known)
        if reasons:
            decisions.hold(order, "; ".join(reasons))
            continue
        reserved = allocate_order(order_lines, available)
        if reserved is not None:
            decisions.allocate(order, reserved)
        else:
            decisions.backorder(order)
    decisions.write(connection, bin_ids)
    return decisions.outcomes


def _in_batches(
    connection: Connection, query: Any, column: Any, values: Sequence[str], whole_rows: bool = False
) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(values), BATCH):
        result = connection.execute(query.where(column.in_(values[start : start + BATCH])))
        found.extend(result.all() if whole_rows else result.scalars().all())
    return found


# order_id first.
EVENT_COLUMNS = ("order_id", "at", "actor", "action", "from_status", "to_status", "detail")
ALLOCATION_COLUMNS = ("order_id", "order_line_id", "sku", "location", "qty")
MOVEMENT_COLUMNS = (
    "at", "actor", "sku", "location", "on_hand_delta", "allocated_delta", "reason", "order_id",
)  # fmt: skip


class _Decisions:
    """What a chunk decided, gathered to be written in bulk."""

    def __init__(self, actor: str, now: datetime) -> None:
        self.actor, self.now = actor, now
        self.outcomes: list[Outcome] = []
        self.statuses: list[StatusChange] = []
        self.events: list[tuple[Any, ...]] = []
        self.allocations: list[tuple[Any, ...]] = []
        self.movements: list[tuple[Any, ...]] = []
        self.per_bin: dict[tuple[str, str], int] = {}
        self._events: dict[tuple[Transition, tuple[Any, ...]], tuple[Any, ...]] = {}

    def _move(self, order: Any, action: Action, detail: dict[str, Any], hold: str = "") -> None:
        transition = lifecycle.apply(
            order.order_number, Status(order.status), action,
            Status(order.held_from) if order.held_from else None,
        )  # fmt: skip
        self.statuses.append(_status_change(order.id, transition, hold))
        # Events alike but for their order share one row built by event_values.
        key = (transition, tuple(detail.items()))
        event = self._events.get(key)
        if event is None:
            values = event_values(0, transition, self.actor, self.now, detail)
            event = self._events[key] = tuple(values[column] for column in EVENT_COLUMNS[1:])
        self.events.append((order.id, *event))

    def hold(self, order: Any, reason: str) -> None:
        self._move(order, Action.HOLD, {"reason": reason}, hold=reason)
        self.outcomes.append(Outcome(order.order_number, "held", reason))

    def allocate(self, order: Any, reserved: list[Reservation]) -> None:
        order_id = order.id
        self._move(order, Action.ALLOCATE, {"units": sum(r.qty for r in reserved)})
        # A reservation is (line id, sku, location, qty): ALLOCATION_COLUMNS after order_id.
        self.allocations.extend((order_id, *r) for r in reserved)
        reason = f"allocate to order {order.order_number}"
        per_bin, now, actor = self.per_bin, self.now, self.actor
        for key, qty in units_by_bin(reserved).items():
            per_bin[key] = per_bin.get(key, 0) + qty
            self.movements.append((now, actor, *key, 0, qty, reason, order_id))
        self.outcomes.append(Outcome(order.order_number, "ready"))

    def backorder(self, order: Any) -> None:
        if order.status == Status.RECEIVED.value:
            self._move(order, Action.BACKORDER, {"reason": "not enough stock"})
        self.outcomes.append(Outcome(order.order_number, "backordered"))

    def write(self, connection: Connection, bin_ids: dict[tuple[str, str], int]) -> None:
        if self.per_bin:
            # One conditional update per bin for the whole chunk, in bin id order (the
            # order the bins were locked in); each must change its row, or nothing is kept.
            wanted = sorted(
                ({"b_id": bin_ids[key], "b_qty": qty} for key, qty in self.per_bin.items()),
                key=lambda row: row["b_id"],
            )
            changed = connection.execute(
                update(STOCK)
                .where(STOCK.c.id == bindparam("b_id"))
                .where(STOCK.c.on_hand - STOCK.c.allocated >= bindparam("b_qty"))
                .values(allocated=STOCK.c.allocated + bindparam("b_qty")),
                wanted,
            ).rowcount
            if changed != len(wanted):
                raise Conflict(
                    f"stock changed while allocating ({changed} of {len(wanted)} bins updated); "
                    "nothing of this batch was written"
                )
        _write_statuses(connection, self.statuses, self.now)
        insert_rows(connection, ORDER_EVENTS, EVENT_COLUMNS, self.events)
        insert_rows(connection, ALLOCATIONS, ALLOCATION_COLUMNS, self.allocations)
        insert_rows(connection, STOCK_MOVEMENTS, MOVEMENT_COLUMNS, self.movements)


class StatusChange(NamedTuple):
    order_id: int
    from_status: str | None
    to_status: str
    held_from: str | None
    hold_reason: str


def _status_change(order_id: int, transition: Transition, hold_reason: str = "") -> StatusChange:
    return StatusChange(
        order_id,
        transition.from_status.value if transition.from_status else None,
        transition.to_status.value,
        transition.held_from.value if transition.held_from else None,
        hold_reason,
    )


def _write_statuses(connection: Connection, changes: list[StatusChange], now: datetime) -> None:
    """Bulk status changes, each only if the order is still where the lifecycle saw it.

    Changes alike (same from, to, held-from and hold reason) go in one UPDATE
    over their ids; the rows changed must add up to every change.
    """
    alike: dict[tuple[str | None, str, str | None, str], list[int]] = {}
    for change in changes:
        key = (change.from_status, change.to_status, change.held_from, change.hold_reason)
        alike.setdefault(key, []).append(change.order_id)
    changed = 0
    for (from_status, to_status, held_from, hold_reason), ids in alike.items():
        for start in range(0, len(ids), BATCH):
            changed += connection.execute(
                update(ORDERS)
                .where(
                    ORDERS.c.id.in_(ids[start : start + BATCH]),
                    ORDERS.c.status == from_status,
                )
                .values(
                    status=to_status,
                    held_from=held_from,
                    hold_reason=hold_reason,
                    hold_until=None,
                    updated_at=now,
                )
            ).rowcount
    if changed != len(changes):
        raise Conflict(
            f"orders changed while processing ({changed} of {len(changes)} updated); "
            "nothing of this batch was written"
        )
