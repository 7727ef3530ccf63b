"""`process`: verify each received or backordered order, then allocate it whole.

The run, in this order:
1. Release holds whose until-date has passed (one transaction).
2. Queue the orders to process: the ones named, or every received and
   backordered order; highest priority first, then earliest ship-by (none
   last), then earliest placed.
3. Work through the queue in chunks, one write transaction each. A chunk
   loads its orders (locking them on PostgreSQL), their lines, the products
   and the bins of their SKUs, decides every order in memory with
   `domain.allocation`, and writes the result in bulk: conditional stock
   updates whose row counts are checked, status updates, events, allocation
   and movement rows.

Why chunks: one transaction per order would pay a commit (an fsync) per order;
one transaction for the whole run would hold the write lock for its whole
length, and the other terminals and cron jobs would wait it out or time out.
Why chunks sized by time: the queue is in priority order, so a chunk's
orders are scattered over the whole orders table and its indexes, and each
chunk writes most of their pages again (to the WAL, then back to the file).
That cost barely grows with the chunk's size, so small chunks make a large
run much slower. The first chunk has CHUNK orders; each next one is sized
from the last one's pace to hold the write lock for a set time.

Who holds the lock when. On SQLite a chunk first reads and decides without
the write lock (BEGIN DEFERRED: WAL readers block no one) and takes the lock
at its first write, so other writers wait only while it writes; while no
other writer shows up, a chunk may write for ALONE_SECONDS. If another
connection wrote since the chunk began reading, SQLite refuses that first
write at once and nothing is written: the chunk is done again the locked way
(BEGIN IMMEDIATE, then read, decide and write), and so is every chunk after
it, each holding the lock for about CHUNK_SECONDS, so several processes
interleave fairly and nothing waits long (the busy timeout is 30 s). Either
way a chunk reads the status of its orders in the transaction that writes
them, so an order another process handled in the meantime is left alone. On
PostgreSQL the chunk locks its orders and bins as it reads them (FOR UPDATE).

The statements over a chunk's thousands of ids go to the driver as written
(`store.driver`): Core would compile their IN lists anew for each chunk. On SQLite,
those on orders find their rows by id alone (`by_id_only`), whatever the
planner's statistics say of the other conditions.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert, select
from sqlmodel import Session

from orderops import lifecycle
from orderops.domain.allocation import (
    Availability,
    LineRequest,
    Reservation,
    allocate_order,
    units_by_bin,
)
from orderops.domain.verification import address_complete, hold_reasons
from orderops.errors import Conflict, DatabaseBusy, NotFound, TransitionRefused
from orderops.lifecycle import Action, Status, Transition
from orderops.services.collector import collector_paused
from orderops.services.transitions import event_values, utcnow
from orderops.store.database import Database
from orderops.store.driver import (
    all_rows,
    bind_value,
    by_id_only,
    driver_sql,
    each_batch,
    for_update,
    insert_many,
    rows_in,
    update_or_fail,
)
from orderops.store.engine import defer_checkpoints, widen_cache
from orderops.store.tables import ORDER_EVENTS, ORDERS

# Orders in the first chunk, and the fewest in any (see the module docstring).
CHUNK = 2000
MAX_CHUNK = 50_000
# How long a chunk may hold the write lock: while no other writer is seen, and once one is.
ALONE_SECONDS = 3.0
CHUNK_SECONDS = 1.0
# SQLite's page cache for the run (KiB): the orders table, their lines and the indexes
# a chunk writes stay in memory from one chunk to the next instead of being read again.
CACHE_KIB = 262_144
# WAL pages (4 KiB) the chunks of a run may leave before a commit copies them back into
# the file: a few chunks' worth (a chunk of MAX_CHUNK orders writes some 20,000), so that
# pages every chunk rewrites are copied once for several. At 25,000, processing 100,000
# orders copied 111 MiB back and wrote 203 MiB of WAL; at 50,000, 70 MiB and 163 MiB.
CHECKPOINT_PAGES = 50_000
BATCH = 2000
RECEIVED = Status.RECEIVED.value
PROCESSABLE = (RECEIVED, Status.BACKORDERED.value)


class Outcome(NamedTuple):
    order_number: str
    outcome: str  # ready, backordered, held, skipped
    reason: str = ""


@dataclass
class ProcessSummary:
    released: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Orders per outcome (counted in one pass: a run may decide 100,000)."""
        return Counter(map(attrgetter("outcome"), self.outcomes))

    def as_json(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "ready": counts["ready"],
            "backordered": counts["backordered"],
            "held": counts["held"],
            "skipped": counts["skipped"],
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
    with collector_paused():
        return _process(db, numbers, actor)


def _process(db: Database, numbers: Sequence[str], actor: str) -> ProcessSummary:
    summary = ProcessSummary()
    named = _resolve(db, numbers) if numbers else None

    def release(session: Session) -> list[str]:
        return release_expired_holds(session.connection(), named, actor, utcnow())

    summary.released = db.write(release)
    queue, skipped = _queue(db, named)
    summary.outcomes.extend(skipped)
    known: set[str] = set()
    start = 0
    # Read before locking until another writer shows up (see the module docstring).
    read_first = db.reads_before_locking
    sizer = _ChunkSizer(ALONE_SECONDS if read_first else CHUNK_SECONDS)
    while start < len(queue):
        chunk = queue[start : start + sizer.size]
        work = partial(_process_chunk, ids=chunk, actor=actor, known=known, sizer=sizer)
        if read_first:
            try:
                outcomes = db.write_after_reading(partial(work, read_first=True))
            except DatabaseBusy:
                # Nothing was written; others are writing too. From here on lock first,
                # in chunks sized afresh to hold the lock for about CHUNK_SECONDS.
                read_first = False
                sizer.restart(CHUNK_SECONDS)
                continue
        else:
            outcomes = db.write(work)
        summary.outcomes.extend(outcomes)
        # From taking the lock to the end of the commit: how long the lock was held.
        sizer.record(len(chunk), time.perf_counter() - sizer.locked_at)
        start += len(chunk)
    return summary


class _ChunkSizer:
    """The next chunk's size: what the last chunk's pace does in `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.size = CHUNK
        self.seconds = seconds
        # When the running chunk took the write lock (waiting for it is not its pace).
        self.locked_at = 0.0

    def restart(self, seconds: float) -> None:
        """Size from CHUNK again, for chunks that may hold the lock `seconds`."""
        self.size = CHUNK
        self.seconds = seconds

    def record(self, orders: int, seconds: float) -> None:
        if orders < self.size:
            return  # the last chunk, short: its pace says little
        wanted = int(orders * self.seconds / max(seconds, 0.001))
        self.size = max(CHUNK, min(MAX_CHUNK, wanted))


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
    released, events = [], []
    statuses: dict[StatusKey, list[int]] = {}
    for row in expired:
        transition = lifecycle.apply(
            row.order_number, Status(row.status), Action.RELEASE,
            Status(row.held_from) if row.held_from else None,
        )  # fmt: skip
        statuses.setdefault(_status_key(transition), []).append(row.id)
        events.append(
            event_values(row.id, transition, actor, now,
                         {"reason": "hold expired", "until": row.hold_until})
        )  # fmt: skip
        released.append(row.order_number)
    _write_statuses(connection, statuses, now)
    if events:
        connection.execute(insert(ORDER_EVENTS), events)
    return released


def _queue(db: Database, named: Sequence[int] | None) -> tuple[list[int], list[Outcome]]:
    """Ids to process, first first; and the named orders that cannot be processed."""
    with db.transaction(write=False) as session:
        if named is None:
            # The database sorts (as _first_first does); only the ids come back.
            every = (
                "SELECT id FROM orders WHERE status IN (?, ?) "
                "ORDER BY priority DESC, ship_by IS NULL, ship_by, placed_at, id"
            )
            found = all_rows(session.connection(), every, PROCESSABLE)
            return [order_id for (order_id,) in found], []
        query = select(
            ORDERS.c.id, ORDERS.c.order_number, ORDERS.c.status, ORDERS.c.priority,
            ORDERS.c.ship_by, ORDERS.c.placed_at,
        )  # fmt: skip
        rows: list[Any] = []
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
    session: Session,
    ids: Sequence[int],
    actor: str,
    known: set[str],
    sizer: _ChunkSizer,
    read_first: bool = False,
) -> list[Outcome]:
    connection = session.connection()  # takes the write lock, unless read_first
    sizer.locked_at = time.perf_counter()
    widen_cache(connection, CACHE_KIB)
    defer_checkpoints(connection, CHECKPOINT_PAGES)
    now = utcnow()
    orders = _read_orders(connection, ids)
    lines = _read_lines(connection, list(orders))
    skus = sorted({line.sku for found in lines.values() for line in found})
    # Products are never deleted: a SKU found known stays known; only the others are asked.
    unknown = [sku for sku in skus if sku not in known]
    products = "SELECT sku FROM products WHERE sku IN ({values})"
    known.update(sku for (sku,) in rows_in(connection, products, unknown))
    available, bin_ids = _read_bins(connection, skus)

    # Most orders are complete and ask for known SKUs: `hold_reasons` words the others.
    all_known = known.issuperset(skus)
    decisions = _Decisions(actor, now, bind_value(connection, ORDER_EVENTS.c.at, now))
    for order_id in ids:
        order = orders.get(order_id)
        if order is None:
            continue  # processed by someone else since the queue was read
        order_lines = lines[order_id]
        if not (
            address_complete(
                order.customer_name, order.address1, order.city, order.country, order.postal_code
            )
            and (all_known or all(line.sku in known for line in order_lines))
        ):
            skus_asked = [line.sku for line in order_lines]
            reasons = hold_reasons(order._asdict(), skus_asked, known)
            decisions.hold(order_id, order, "; ".join(reasons))
            continue
        reserved = allocate_order(order_lines, available)
        if reserved is not None:
            decisions.allocate(order_id, order, reserved)
        else:
            decisions.backorder(order_id, order)
    if read_first:
        sizer.locked_at = time.perf_counter()  # the first write takes the lock
    decisions.write(connection, bin_ids)
    return decisions.outcomes


class _Order(NamedTuple):
    number: str
    status: str
    held_from: str | None
    # What verification reads.
    customer_name: str
    address1: str
    city: str
    country: str
    postal_code: str


ADDRESS_COLUMNS = _Order._fields[3:]


def _read_orders(connection: Connection, ids: Sequence[int]) -> dict[int, _Order]:
    """The chunk's orders still processable, by id; locked in id order on PostgreSQL."""
    sql = (
        f"SELECT id, order_number, status, held_from, {', '.join(ADDRESS_COLUMNS)} "
        f"FROM orders{by_id_only(connection)} WHERE status IN (?, ?) AND id IN ({{values}}) "
        f"ORDER BY id{for_update(connection)}"
    )
    rows = rows_in(connection, sql, sorted(ids), PROCESSABLE)
    return {row[0]: _Order._make(row[1:]) for row in rows}


# An order's lines in line order: ix_order_lines_order_id_line_no gives them so, unsorted.
LINES_OF_ORDERS = (
    "SELECT order_id, id, sku, qty FROM order_lines WHERE order_id IN ({values}) "
    "ORDER BY order_id, line_no"
)


def _read_lines(connection: Connection, order_ids: Sequence[int]) -> dict[int, list[LineRequest]]:
    lines: dict[int, list[LineRequest]] = {order_id: [] for order_id in order_ids}
    for order_id, line_id, sku, qty in rows_in(connection, LINES_OF_ORDERS, order_ids):
        lines[order_id].append(LineRequest(line_id, sku, qty))
    return lines


def _read_bins(
    connection: Connection, skus: Sequence[str]
) -> tuple[Availability, dict[tuple[str, str], int]]:
    """Units available per SKU and bin, and each bin's id; the bins locked in id order."""
    available: Availability = {}
    bin_ids: dict[tuple[str, str], int] = {}
    sql = (
        "SELECT id, sku, location, on_hand, allocated FROM stock WHERE sku IN ({values}) "
        f"ORDER BY id{for_update(connection)}"
    )
    for bin_id, sku, location, on_hand, allocated in rows_in(connection, sql, skus):
        available.setdefault(sku, {})[location] = on_hand - allocated
        bin_ids[(sku, location)] = bin_id
    return available, bin_ids


# order_id first. Events and movements: the columns alike in every row of a chunk
# (at, actor; no change to on_hand) are not in them.
EVENT_COLUMNS = ("order_id", "action", "from_status", "to_status", "detail")
ALLOCATION_COLUMNS = ("order_id", "order_line_id", "sku", "location", "qty")
MOVEMENT_COLUMNS = ("order_id", "sku", "location", "allocated_delta", "reason")


class _Decisions:
    """What a chunk decided, gathered to be written in bulk.

    Rows to insert are built as the driver takes them, so they go to executemany
    as they are; `at` (the time in its stored form: `bind_value`), the actor and
    movements' on_hand_delta (0) are the same in every row, given once
    (`insert_many`'s `same`).
    """

    def __init__(self, actor: str, now: datetime, at: Any) -> None:
        self.actor, self.now, self.at = actor, now, at
        self.outcomes: list[Outcome] = []
        self.statuses: dict[StatusKey, list[int]] = {}
        self.events: list[tuple[Any, ...]] = []
        self.allocations: list[tuple[Any, ...]] = []
        self.movements: list[tuple[Any, ...]] = []
        self.per_bin: dict[tuple[str, str], int] = {}
        self._moves: dict[tuple[Any, ...], tuple[Transition, list[int]]] = {}
        self._events: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def _move(
        self, order_id: int, order: _Order, action: Action, detail: dict[str, Any], hold: str = ""
    ) -> None:
        # Orders alike in status and held-from make the same move: the lifecycle decides
        # it once per kind (a refusal is not kept, so each refused order is named).
        # _value_, not .value: the enum property costs more than the rest of the key.
        kind = (order.status, order.held_from, action._value_, hold)
        move = self._moves.get(kind)
        if move is None:
            transition = lifecycle.apply(
                order.number, Status(order.status), action,
                Status(order.held_from) if order.held_from else None,
            )  # fmt: skip
            ids = self.statuses.setdefault(_status_key(transition, hold), [])
            move = self._moves[kind] = (transition, ids)
        transition, ids = move
        ids.append(order_id)
        # Events alike but for their order share one row built by event_values.
        key = (kind, *detail.items())
        event = self._events.get(key)
        if event is None:
            values = event_values(0, transition, self.actor, self.now, detail)
            event = self._events[key] = tuple(values[c] for c in EVENT_COLUMNS[1:])
        self.events.append((order_id, *event))

    def hold(self, order_id: int, order: _Order, reason: str) -> None:
        self._move(order_id, order, Action.HOLD, {"reason": reason}, hold=reason)
        self.outcomes.append(Outcome(order.number, "held", reason))

    def allocate(self, order_id: int, order: _Order, reserved: list[Reservation]) -> None:
        # A reservation is (line id, sku, location, qty): ALLOCATION_COLUMNS after order_id.
        self.allocations.extend([(order_id, *r) for r in reserved])
        units = 0
        reason = f"allocate to order {order.number}"
        per_bin = self.per_bin
        for key, qty in units_by_bin(reserved).items():
            units += qty
            per_bin[key] = per_bin.get(key, 0) + qty
            self.movements.append((order_id, *key, qty, reason))
        self._move(order_id, order, Action.ALLOCATE, {"units": units})
        self.outcomes.append(Outcome(order.number, "ready"))

    def backorder(self, order_id: int, order: _Order) -> None:
        if order.status == RECEIVED:
            self._move(order_id, order, Action.BACKORDER, {"reason": "not enough stock"})
        self.outcomes.append(Outcome(order.number, "backordered"))

    def write(self, connection: Connection, bin_ids: dict[tuple[str, str], int]) -> None:
        if self.per_bin:
            # One conditional update per bin for the whole chunk, in bin id order (the
            # order the bins were locked in); each must change its row, or nothing is kept.
            wanted = sorted(
                ((qty, bin_ids[key], qty) for key, qty in self.per_bin.items()),
                key=itemgetter(1),
            )
            changed = connection.exec_driver_sql(
                driver_sql(
                    connection,
                    "UPDATE stock SET allocated = allocated + ? "
                    "WHERE id = ? AND on_hand - allocated >= ?",
                ),
                wanted,
            ).rowcount
            if changed != len(wanted):
                raise Conflict(
                    f"stock changed while allocating ({changed} of {len(wanted)} bins updated); "
                    "nothing of this batch was written"
                )
        _write_statuses(connection, self.statuses, self.now)
        # Rows in order id order cost markedly less to insert than scattered ones (the
        # order id indexes, the foreign key checks). The sort is stable: an order's
        # rows keep the order they were decided in.
        by_order = itemgetter(0)
        same = {"at": self.at, "actor": self.actor}
        events = sorted(self.events, key=by_order)
        insert_many(connection, "order_events", EVENT_COLUMNS, events, same)
        allocations = sorted(self.allocations, key=by_order)
        insert_many(connection, "allocations", ALLOCATION_COLUMNS, allocations)
        movements = sorted(self.movements, key=by_order)
        insert_many(connection, "stock_movements", MOVEMENT_COLUMNS, movements,
                    {**same, "on_hand_delta": 0})  # fmt: skip


# A kind of status change: from, to, held from, hold reason.
StatusKey = tuple[str, str, str | None, str]


def _status_key(transition: Transition, hold_reason: str = "") -> StatusKey:
    assert transition.from_status is not None  # only receiving creates orders
    return (
        transition.from_status.value,
        transition.to_status.value,
        transition.held_from.value if transition.held_from else None,
        hold_reason,
    )


def _write_statuses(
    connection: Connection, changes: dict[StatusKey, list[int]], now: datetime
) -> None:
    """Bulk status changes, each only if the order is still where the lifecycle saw it.

    Changes of one kind go in one UPDATE over their ids; the rows changed must
    add up to every change. Only inside a transaction that any failure rolls
    back whole (`update_or_fail`: a failed statement is not undone alone).
    """
    sql = (
        f"{update_or_fail(connection)} orders{by_id_only(connection)} SET status = ?, "
        "held_from = ?, hold_reason = ?, hold_until = NULL, updated_at = ? "
        "WHERE status = ? AND id IN ({values})"
    )
    updated_at = bind_value(connection, ORDERS.c.updated_at, now)
    changed = wanted = 0
    for (from_status, to_status, held_from, hold_reason), ids in changes.items():
        wanted += len(ids)
        # In id order, each statement's rows lie together: far fewer pages to visit.
        ids = sorted(ids)
        params = (to_status, held_from, hold_reason, updated_at, from_status)
        changed += sum(result.rowcount for result in each_batch(connection, sql, ids, params))
    if changed != wanted:
        raise Conflict(
            f"orders changed while processing ({changed} of {wanted} updated); "
            "nothing of this batch was written"
        )
