"""`process`: verify each received or backordered order, then allocate it whole.

The run, in this order:
1. Release holds whose until-date has passed (one transaction, if any has).
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

Statuses change through `store.status.apply_moves` and stock through
`store.stock_moves.move_stock`, a chunk at a time.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple

from sqlmodel import Session

from orderops import lifecycle
from orderops.domain.allocation import LineRequest, Reservation, allocate_order, units_by_bin
from orderops.domain.verification import address_complete, hold_reasons
from orderops.errors import (
    DatabaseBusy,
    Interrupted,
    NotFound,
    OrderOpsError,
    PartlyDone,
    TransitionRefused,
    nothing_more_written,
)
from orderops.lifecycle import Action, Status
from orderops.services.clock import utcnow
from orderops.store.database import Database
from orderops.store.orders import (
    OrderToProcess,
    begin_processing_chunk,
    expired_holds,
    line_requests,
    named_queue,
    order_ids,
    orders_to_process,
    processing_queue,
)
from orderops.store.status import StatusMove, apply_moves
from orderops.store.stock import availability, known_skus
from orderops.store.stock_moves import StockMove, add_allocations, move_stock

# Orders in the first chunk, and the fewest in any (see the module docstring).
CHUNK = 2000
MAX_CHUNK = 50_000
# How long a chunk may hold the write lock: while no other writer is seen, and once one is.
ALONE_SECONDS = 3.0
CHUNK_SECONDS = 1.0
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
    # Orders queued to process, and of those not processed (a run that failed part way).
    queued: int = 0
    not_processed: int = 0

    @property
    def processed(self) -> int:
        """Orders decided and committed (named orders skipped are not counted)."""
        return len(self.outcomes) - self.counts()["skipped"]

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
            "not_processed": self.not_processed,
            "released_orders": self.released,
            "orders": [
                {"order_number": o.order_number, "outcome": o.outcome}
                | ({"reason": o.reason} if o.reason else {})
                for o in self.outcomes
            ],
        }


def process_orders(db: Database, numbers: Sequence[str], actor: str) -> ProcessSummary:
    """Process the named orders, or every received and backordered one.

    Each chunk commits on its own. If one fails after others were committed (or
    holds released), PartlyDone says exactly what was committed, with the summary
    of it; a failure before anything was committed is raised as it is.
    """
    summary = ProcessSummary()
    with db.bulk_run():
        named = _resolve(db, numbers) if numbers else None
        if _holds_expired(db, named):
            summary.released = db.write(partial(_release_expired_holds, ids=named, actor=actor))
        try:
            queue, skipped = _queue(db, named)
            summary.outcomes.extend(skipped)
            summary.queued = len(queue)
            _process_queue(db, queue, actor, summary)
        except Exception as exc:
            if summary.released or summary.processed:
                summary.not_processed = summary.queued - summary.processed
                raise PartlyDone(_partly_done(summary, exc), summary) from exc
            raise
        except KeyboardInterrupt:
            if summary.released or summary.processed:
                # Ctrl-C keeps its own exit code (130), saying what was committed.
                raise Interrupted(_partly_done(summary, Interrupted())) from None
            raise
    return summary


def _partly_done(summary: ProcessSummary, exc: Exception) -> str:
    """What a run committed before `exc` stopped it, and why it stopped."""
    counts = summary.counts()
    released = len(summary.released)
    text = f"released {released} expired hold(s), " if released else ""
    text += (
        f"processed {summary.processed:,} of {summary.queued:,} orders "
        f"({counts['ready']:,} ready, {counts['backordered']:,} backordered, "
        f"{counts['held']:,} held) before: "
    )
    if isinstance(exc, OrderOpsError):
        reason = nothing_more_written(str(exc))
    else:
        reason = f"internal error: {type(exc).__name__}: {exc}"
    return f"{text}{reason}; run `orderops process` again for the rest"


def _process_queue(db: Database, queue: list[int], actor: str, summary: ProcessSummary) -> None:
    """Decide and write the queue chunk by chunk (see the module docstring)."""
    known: set[str] = set()
    start = 0
    # Read before locking until another writer shows up.
    read_first = db.reads_before_locking
    sizer = _ChunkSizer(ALONE_SECONDS if read_first else CHUNK_SECONDS)
    while start < len(queue):
        chunk = queue[start : start + sizer.size]
        work = partial(_process_chunk, ids=chunk, actor=actor, known=known, sizer=sizer)
        try:
            if read_first:
                try:
                    outcomes = db.write_after_reading(partial(work, read_first=True))
                except DatabaseBusy:
                    # Nothing was written; others are writing too. From here on lock
                    # first, in chunks sized afresh to hold the lock for CHUNK_SECONDS.
                    read_first = False
                    sizer.restart(CHUNK_SECONDS)
                    continue
            else:
                outcomes = db.write(work)
            summary.outcomes.extend(outcomes)
        finally:
            _release_interrupts()
        # From taking the lock to the end of the commit: how long the lock was held.
        sizer.record(len(chunk), time.perf_counter() - sizer.locked_at)
        start += len(chunk)


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
        found = order_ids(session.connection(), unique)
    missing = [n for n in unique if n not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        raise NotFound(f"no order {shown}; nothing was processed")
    return [found[n] for n in unique]


def _holds_expired(db: Database, ids: Sequence[int] | None) -> bool:
    """Whether any hold (of `ids`, or all) has passed its until-date: only then is
    there something to write (a run with nothing to do records nothing)."""
    with db.transaction(write=False) as session:
        return bool(expired_holds(session.connection(), ids, utcnow()))


def _release_expired_holds(session: Session, ids: Sequence[int] | None, actor: str) -> list[str]:
    """Return orders whose hold's until-date has passed to where they were held from."""
    connection, now = session.connection(), utcnow()
    expired = expired_holds(connection, ids, now)
    moves = [
        StatusMove(*order, Action.RELEASE, {"reason": "hold expired", "until": until})
        for order, until in expired
    ]
    apply_moves(connection, moves, actor, now)
    return [order.number for order, _ in expired]


def _queue(db: Database, named: Sequence[int] | None) -> tuple[list[int], list[Outcome]]:
    """Ids to process, first first; and the named orders that cannot be processed."""
    with db.transaction(write=False) as session:
        if named is None:
            return processing_queue(session.connection(), PROCESSABLE), []
        queued = named_queue(session.connection(), named)
    skipped = [
        Outcome(order.number, "skipped", _refusal(order.number, order.status))
        for order in queued
        if order.status not in PROCESSABLE
    ]
    return [order.id for order in queued if order.status in PROCESSABLE], skipped


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
    """Read a chunk's orders, lines and stock; decide each order; write the decisions."""
    connection = session.connection()  # takes the write lock, unless read_first
    sizer.locked_at = time.perf_counter()
    begin_processing_chunk(connection)
    orders = orders_to_process(connection, ids, PROCESSABLE)
    lines = line_requests(connection, list(orders))
    skus = sorted({line.sku for found in lines.values() for line in found})
    # Products are never deleted: a SKU found known stays known; only the others are asked.
    known.update(known_skus(connection, [sku for sku in skus if sku not in known]))
    available = availability(connection, skus)
    all_known = known.issuperset(skus)
    decisions = _Decisions()
    for order_id in ids:
        order = orders.get(order_id)
        if order is None:
            continue  # processed by someone else since the queue was read
        order_lines = lines[order_id]
        if not _verified(order, order_lines, known, all_known):
            reasons = hold_reasons(order._asdict(), [line.sku for line in order_lines], known)
            decisions.hold(order_id, order, "; ".join(reasons))
            continue
        reserved = allocate_order(order_lines, available)
        if reserved is not None:
            decisions.allocate(order_id, order, reserved)
        else:
            decisions.backorder(order_id, order)
    if read_first:
        sizer.locked_at = time.perf_counter()  # the first write takes the lock
    decisions.write(connection, actor)
    _hold_interrupts()  # until the chunk's outcomes are counted, after its commit
    return decisions.outcomes


def _hold_interrupts() -> None:
    """Let a Ctrl-C wait, from a chunk's last write until `_release_interrupts` (its
    commit, then its outcomes counted): an interrupt in between would leave a chunk
    committed but not counted, and the run would say less than it wrote."""
    if threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _release_interrupts() -> None:
    """A Ctrl-C held by `_hold_interrupts` is raised here (KeyboardInterrupt)."""
    if threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _verified(
    order: OrderToProcess, lines: list[LineRequest], known: set[str], all_known: bool
) -> bool:
    """The quick check that most orders pass: address complete, every SKU known
    (`all_known`: every SKU of the chunk is; `hold_reasons` words what is wrong
    with the others)."""
    return address_complete(
        order.customer_name, order.address1, order.city, order.country, order.postal_code
    ) and (all_known or all(line.sku in known for line in lines))


class _Decisions:
    """What a chunk decided: status moves, stock moves and reservations, written together."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.moves: list[StatusMove] = []
        self.stock: list[StockMove] = []
        self.allocations: list[tuple[Any, ...]] = []

    def _move(
        self, order_id: int, order: OrderToProcess, action: Action, detail: dict[str, Any]
    ) -> None:
        self.moves.append(
            StatusMove(order_id, order.number, order.status, order.held_from, action, detail)
        )

    def hold(self, order_id: int, order: OrderToProcess, reason: str) -> None:
        self._move(order_id, order, Action.HOLD, {"reason": reason})
        self.outcomes.append(Outcome(order.number, "held", reason))

    def allocate(self, order_id: int, order: OrderToProcess, reserved: list[Reservation]) -> None:
        # A reservation is (line id, sku, location, qty): an allocation row after order_id.
        self.allocations.extend([(order_id, *r) for r in reserved])
        reason = f"allocate to order {order.number}"
        per_bin = units_by_bin(reserved)
        self.stock.extend(
            StockMove(sku, location, allocated=qty, reason=reason, order_id=order_id)
            for (sku, location), qty in per_bin.items()
        )
        self._move(order_id, order, Action.ALLOCATE, {"units": sum(per_bin.values())})
        self.outcomes.append(Outcome(order.number, "ready"))

    def backorder(self, order_id: int, order: OrderToProcess) -> None:
        if order.status == RECEIVED:
            self._move(order_id, order, Action.BACKORDER, {"reason": "not enough stock"})
        self.outcomes.append(Outcome(order.number, "backordered"))

    def write(self, connection: Any, actor: str) -> None:
        now = utcnow()
        move_stock(connection, self.stock, actor, now)
        apply_moves(connection, self.moves, actor, now)
        add_allocations(connection, self.allocations)
