"""Receive orders: new ones are written, resent ones skipped, changed ones refused.

One call is one transaction, so a run receives all of its orders or none.
Orders arrive as a stream of checked `ReadBatch`es (a chunk of a generic CSV,
held column by column) and `ReadOrder`s (one order, gathered into batches
here), and go in batch by batch through the driver's executemany
(`store.bulk`): the ORM's per-object bookkeeping costs far more than the
insert itself on bulk files, and holding a whole file's records would cost
memory that grows with the file. When a bad order turns
up, writing stops, the rest of the input is still checked (so every problem
is reported), and the transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import chain, repeat
from json.encoder import encode_basestring as encode_string
from typing import Any, Protocol

from sqlalchemy import Connection, delete, func, insert, select, update

from orderops import lifecycle
from orderops.domain.money import to_minor
from orderops.domain.order_batch import OrderBatch
from orderops.domain.orders import ORDER_FIELDS, OrderRecord
from orderops.errors import Conflict, InvalidInput, TransitionRefused
from orderops.formats.problems import Problem
from orderops.formats.records import RawOrder, ReadBatch, ReadOrder, currency_exponent, to_utc
from orderops.lifecycle import Action, Status
from orderops.services.collector import collector_paused
from orderops.services.stock import free_allocations
from orderops.services.transitions import event_values, utcnow
from orderops.store.bulk import as_dicts, insert_columns, insert_orders, insert_rows
from orderops.store.database import Database
from orderops.store.driver import rows_in
from orderops.store.engine import widen_cache
from orderops.store.locks import serialize_receiving
from orderops.store.tables import ORDER_EVENTS, ORDER_LINES, ORDERS

BATCH = 2000
# Problems kept word for word; beyond that only counted (the CLI shows 20).
KEPT_PROBLEMS = 200
# Orders listed by number in the summary when the caller does not want them all.
NAMED = 5
# A run that received at least this many orders refreshes the planner's statistics.
LARGE_RUN = 1000


class RejectSink(Protocol):
    def add(self, read: ReadOrder) -> None: ...


@dataclass
class ReceiveOptions:
    dry_run: bool = False
    # Apply changed content to orders not yet picked, instead of refusing it.
    update: bool = False
    # Receive the good orders and hand the bad ones to `rejects`.
    skip_invalid: bool = False
    rejects: RejectSink | None = None
    # Called with the number of input rows checked since the last call.
    on_progress: Callable[[int], None] | None = None
    # List every order number in the summary (for --json), not just a few.
    all_numbers: bool = False


@dataclass
class ReceiveSummary:
    received: int = 0
    lines: int = 0
    skipped: int = 0
    updated: int = 0
    rejected: int = 0
    rejected_rows: int = 0
    dry_run: bool = False
    received_numbers: list[str] = field(default_factory=list)
    skipped_numbers: list[str] = field(default_factory=list)
    updated_numbers: list[str] = field(default_factory=list)
    # Why orders were refused under --skip-invalid (the first KEPT_PROBLEMS).
    rejected_problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "lines": self.lines,
            "skipped": self.skipped,
            "updated": self.updated,
            "rejected": self.rejected,
            "rejected_rows": self.rejected_rows,
            "dry_run": self.dry_run,
            "received_orders": self.received_numbers,
            "skipped_orders": self.skipped_numbers,
            "updated_orders": self.updated_numbers,
            "rejected_problems": self.rejected_problems,
        }


def receive_orders(
    db: Database,
    records: Sequence[OrderRecord],
    actor: str,
    *,
    dry_run: bool = False,
    update: bool = False,
) -> ReceiveSummary:
    """Receive already checked records (orders typed at the command line, tests)."""
    reads = [
        ReadOrder(r.source, "record", r, [], RawOrder(r.source or "input", 0, {})) for r in records
    ]
    options = ReceiveOptions(dry_run=dry_run, update=update, all_numbers=True)
    return receive(db, reads, actor, options)


class _DryRun(Exception):
    """Raised to roll back a dry run once everything has been checked."""


def receive(
    db: Database,
    reads: Iterable[ReadOrder | ReadBatch],
    actor: str,
    options: ReceiveOptions | None = None,
) -> ReceiveSummary:
    """Write the orders not yet received, in one transaction; see the module's doc."""
    options = options or ReceiveOptions()
    run = _Run(actor, options, utcnow())
    try:
        with collector_paused(), db.transaction() as session:
            connection = session.connection()
            run.start(connection)
            pending: list[ReadOrder] = []  # good orders read one at a time
            rows = 0
            for read in reads:
                if isinstance(read, ReadBatch):
                    run.flush(connection, _batch_of(pending))
                    pending = []
                    run.flush(connection, read)
                    rows = run.progress(rows + read.orders.row_count)
                    continue
                rows += read.row_count
                if read.problems:
                    run.refuse(read)
                else:
                    pending.append(read)
                if len(pending) >= BATCH:
                    run.flush(connection, _batch_of(pending))
                    pending = []
                    rows = run.progress(rows)
            run.flush(connection, _batch_of(pending))
            run.progress(rows)
            run.raise_if_failed()
            if options.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if run.summary.received >= LARGE_RUN and not options.dry_run:
        db.refresh_statistics()
    return run.summary


def _batch_of(reads: list[ReadOrder]) -> ReadBatch:
    """Orders read one at a time (all good, so each has its record), as one batch;
    order i of the batch is `reads[i]`."""
    records = []
    for read in reads:
        assert read.record is not None
        records.append(read.record)
    return ReadBatch(OrderBatch.from_records(records), reads.__getitem__)


@dataclass
class _Known:
    id: int
    fingerprint: str
    status: str
    held_from: str | None


def _same_but_placed_at(record: OrderRecord, found: _Known, placed_at: datetime) -> bool:
    """An order sent again with the time stored for it (`placed_at`), as `export`
    writes it (in UTC): the same order, if it was first received without placed_at
    (so stamped with the time it came) or with that time written without an offset
    (local)."""
    if record.placed_at is None or to_utc(record.placed_at) != placed_at:
        return False
    local = placed_at.astimezone().replace(tzinfo=None)
    return found.fingerprint in (
        replace(record, placed_at=None).fingerprint,
        replace(record, placed_at=local).fingerprint,
    )


def _stored_placed_at(connection: Connection, ids: list[int]) -> dict[int, datetime]:
    """The stored placed_at of orders `ids` (one query per few thousand)."""
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), BATCH):
        query = select(ORDERS.c.id, ORDERS.c.placed_at).where(
            ORDERS.c.id.in_(ids[start : start + BATCH])
        )
        found.update({order_id: placed_at for order_id, placed_at in connection.execute(query)})
    return found


class _Run:
    """The state of one receiving run: what was written, skipped, refused."""

    def __init__(self, actor: str, options: ReceiveOptions, now: datetime) -> None:
        self.actor = actor
        self.options = options
        self.now = now
        self.summary = ReceiveSummary(dry_run=options.dry_run)
        self.problems: list[str] = []
        self.problem_count = 0
        self.changed: list[OrderRecord] = []
        self.refused_updates: list[str] = []
        # Orders with an id above this were inserted by this run.
        self.first_new_id = 0

    @property
    def failed(self) -> bool:
        return bool(self.problem_count or self.changed or self.refused_updates)

    def start(self, connection: Connection) -> None:
        serialize_receiving(connection)
        widen_cache(connection)
        self.first_new_id = connection.execute(select(func.max(ORDERS.c.id))).scalar() or 0

    def progress(self, rows: int) -> int:
        if self.options.on_progress is not None and rows:
            self.options.on_progress(rows)
        return 0

    def refuse(self, read: ReadOrder) -> None:
        if self.options.skip_invalid and not read.fatal:
            self.summary.rejected += 1
            self.summary.rejected_rows += read.row_count
            kept = self.summary.rejected_problems
            kept.extend(str(p) for p in read.problems[: max(0, KEPT_PROBLEMS - len(kept))])
            if self.options.rejects is not None:
                self.options.rejects.add(read)
            return
        self.add_problems(read.problems)

    def add_problems(self, problems: Sequence[Problem]) -> None:
        self.problem_count += len(problems)
        room = KEPT_PROBLEMS - len(self.problems)
        self.problems.extend(str(p) for p in problems[: max(0, room)])

    def name(self, numbers: list[str], number: str) -> None:
        if self.options.all_numbers or len(numbers) < NAMED:
            numbers.append(number)

    def flush(self, connection: Connection, read: ReadBatch) -> None:
        batch = read.orders
        if not len(batch):
            return
        numbers = batch.numbers
        # --update may change orders that `process` could allocate meanwhile:
        # lock them (PostgreSQL; SQLite's write lock already covers it).
        known = _known(connection, numbers, lock=self.options.update)
        summary = self.summary
        differing: list[tuple[int, _Known]] = []
        changed: list[tuple[int, _Known]] = []
        if not known and len(set(numbers)) == len(numbers):
            # Every order new and given once, as in most large files: nothing to compare.
            new = list(range(len(numbers)))
        else:
            new, differing = self.sort_out(read, known)
        # Content that differs may differ only in how placed_at was written.
        stored = _stored_placed_at(connection, [found.id for _, found in differing])
        for index, found in differing:
            record = batch.record(index)
            if _same_but_placed_at(record, found, stored[found.id]):
                summary.skipped += 1
                self.name(summary.skipped_numbers, record.order_number)
            elif self.options.update:
                changed.append((index, found))
            else:
                self.changed.append(record)
        summary.received += len(new)
        summary.lines += sum(batch.line_counts[index] for index in new)
        for index in new[: None if self.options.all_numbers else NAMED]:
            self.name(summary.received_numbers, numbers[index])
        if self.failed:
            return
        _insert(connection, batch, new, self.actor, self.now)
        for index, found in changed:
            self.update(connection, batch.record(index), found)

    def sort_out(
        self, read: ReadBatch, known: dict[str, _Known]
    ) -> tuple[list[int], list[tuple[int, _Known]]]:
        """The batch's new orders, and those already received with other content;
        repeats and resent orders are counted (or refused) here."""
        numbers, fingerprints = read.orders.numbers, read.orders.fingerprints
        new: list[int] = []
        differing: list[tuple[int, _Known]] = []
        in_batch: dict[str, str] = {}
        summary = self.summary
        for index, number in enumerate(numbers):
            fingerprint = fingerprints[index]
            earlier = in_batch.get(number)
            found = known.get(number)
            if earlier is None and found is not None and found.id > self.first_new_id:
                earlier = found.fingerprint
            if earlier is not None:
                # The same order twice in this run's input.
                if earlier != fingerprint:
                    self.refuse_repeat(read.read_again(index))
                else:
                    summary.skipped += 1
                    self.name(summary.skipped_numbers, number)
                continue
            in_batch[number] = fingerprint
            if found is None:
                new.append(index)
            elif found.fingerprint == fingerprint:
                summary.skipped += 1
                self.name(summary.skipped_numbers, number)
            else:
                differing.append((index, found))
        return new, differing

    def refuse_repeat(self, read: ReadOrder) -> None:
        assert read.record is not None and read.raw is not None
        number = read.record.order_number
        problem = Problem(
            read.raw.source,
            read.raw.line,
            "order_number",
            number,
            "this order appears again in the input with different content "
            "(an order's rows must follow each other, and an order be given once)",
        )
        self.refuse(ReadOrder(read.source, read.format, None, [problem], read.raw, read.rows,
                              read.header, read.row_count))  # fmt: skip

    def update(self, connection: Connection, record: OrderRecord, found: _Known) -> None:
        try:
            transition = lifecycle.apply(
                record.order_number,
                Status(found.status),
                Action.UPDATE,
                Status(found.held_from) if found.held_from else None,
            )
        except TransitionRefused as exc:
            self.refused_updates.append(str(exc))
            return
        changes = _changed_fields(connection, found.id, record)
        if not changes:
            # Only the way it was written differs (such as a time zone): the same order.
            self.summary.skipped += 1
            self.name(self.summary.skipped_numbers, record.order_number)
            return
        # Its content changes, so what was reserved for them goes back to stock
        # and the order goes back to received for `process` to verify anew.
        freed = free_allocations(
            connection, found.id, self.actor, "update: content changed", self.now
        )
        values = _order_values(record, self.now)
        for kept in ("hold_reason", "hold_until", "received_at"):
            del values[kept]
        values["status"] = transition.to_status.value
        values["held_from"] = transition.held_from.value if transition.held_from else None
        if record.placed_at is None:
            del values["placed_at"]
        connection.execute(update(ORDERS).where(ORDERS.c.id == found.id).values(values))
        connection.execute(delete(ORDER_LINES).where(ORDER_LINES.c.order_id == found.id))
        insert_rows(connection, ORDER_LINES, LINE_COLUMNS, _line_rows(found.id, record))
        detail: dict[str, Any] = {"source": record.source, "changed": changes}
        if freed:
            detail["units_freed"] = freed
        connection.execute(
            insert(ORDER_EVENTS),
            [event_values(found.id, transition, self.actor, self.now, detail)],
        )
        self.summary.updated += 1
        self.name(self.summary.updated_numbers, record.order_number)

    def raise_if_failed(self) -> None:
        if self.problem_count:
            count = self.problem_count
            raise InvalidInput(
                self.problems,
                summary=f"{count} problem{'s' if count != 1 else ''} in the input",
                total=count,
            )
        if self.refused_updates:
            shown = "; ".join(self.refused_updates[:5])
            more = len(self.refused_updates) - 5
            raise TransitionRefused(
                f"--update: {shown}{f'; and {more} more' if more > 0 else ''}; nothing was written"
            )
        if self.changed:
            raise Conflict(_changed_message(self.changed))


def _known(connection: Connection, numbers: list[str], *, lock: bool) -> dict[str, _Known]:
    """The orders of `numbers` already in the database."""
    names = "order_number, id, fingerprint, status, held_from"
    if connection.dialect.name == "sqlite":
        # The write lock is held already (no row locks to take), and a plain driver
        # query skips SQLAlchemy's handling of a batch's thousands of bound values.
        rows: Iterable[Any] = rows_in(
            connection, f"SELECT {names} FROM orders WHERE order_number IN ({{values}})", numbers
        )
    else:
        query = select(*(ORDERS.c[name] for name in names.split(", "))).where(
            ORDERS.c.order_number.in_(numbers)
        )
        if lock:
            query = query.order_by(ORDERS.c.id).with_for_update()
        rows = connection.execute(query)
    return {row[0]: _Known(*row[1:]) for row in rows}


def _changed_message(changed: list[OrderRecord]) -> str:
    shown = ", ".join(f"{r.order_number} ({r.source})" for r in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    return (
        f"{len(changed)} order(s) already received with different content: {shown}{more}; "
        "nothing was written (--update applies the changes to orders not yet picked)"
    )


def _changed_fields(connection: Connection, order_id: int, record: OrderRecord) -> list[str]:
    """The names of the fields (and `lines`) whose stored value the record changes."""
    stored = connection.execute(select(ORDERS).where(ORDERS.c.id == order_id)).mappings().one()
    new = _order_values(record, stored["received_at"])
    changes = [
        name
        for name in ORDER_FIELDS
        if name != "placed_at" or record.placed_at is not None
        if stored[name] != new[name]
    ]
    old_lines = connection.execute(
        select(ORDER_LINES.c.sku, ORDER_LINES.c.name, ORDER_LINES.c.qty,
               ORDER_LINES.c.unit_price_minor)
        .where(ORDER_LINES.c.order_id == order_id)
        .order_by(ORDER_LINES.c.line_no)
    ).all()  # fmt: skip
    new_lines = [row[2:] for row in _line_rows(order_id, record)]
    if [tuple(row) for row in old_lines] != new_lines:
        changes.append("lines")
    return changes


def _insert(
    connection: Connection, batch: OrderBatch, indexes: list[int], actor: str, now: datetime
) -> None:
    """Insert orders `indexes` of `batch`, their lines and their `receive` events.

    Rows are zipped from the batch's columns: no Python work per value.
    """
    if not indexes:
        return
    count = len(indexes)
    columns, same, exponents = _order_columns(batch, indexes, now)
    ids = insert_orders(connection, columns, count, same)
    line_columns, lines = _line_columns(batch, indexes, ids, exponents)
    insert_columns(connection, ORDER_LINES, line_columns, lines)

    # Every event of the batch is the same but for its order and source.
    event = event_values(0, lifecycle.apply("", None, Action.RECEIVE), actor, now, {})
    # The JSON of {"source": ...}, written directly: one per order of a large file.
    sources = map(encode_string, _pick(batch.sources, indexes, len(batch)))
    event_columns = {"order_id": ids, "detail": map('{{"source": {}}}'.format, sources)}
    same_event = {name: event[name] for name in EVENT_COLUMNS[1:-1]}
    insert_columns(connection, ORDER_EVENTS, event_columns, count, same_event)


def _order_columns(
    batch: OrderBatch, indexes: list[int], now: datetime
) -> tuple[dict[str, Iterable[Any]], dict[str, Any], list[int]]:
    """The orders columns of orders `indexes` of `batch`, newly received at `now`; the
    values alike in every row; and each order's currency exponent."""
    values = {name: _pick(column, indexes, len(batch)) for name, column in batch.values.items()}
    exponents = list(map(currency_exponent, values["currency"]))
    placed_at = [
        now if moment is None else moment if moment.tzinfo is UTC else to_utc(moment)
        for moment in values["placed_at"]
    ]
    same = {"status": Status.RECEIVED.value, "held_from": None, "hold_reason": "",
            "hold_until": None, "received_at": now, "updated_at": now}  # fmt: skip
    columns: dict[str, Iterable[Any]] = {
        **values,
        "placed_at": placed_at,
        "currency_exponent": exponents,
        "fingerprint": _pick(batch.fingerprints, indexes, len(batch)),
    }
    return columns, same, exponents


def _line_columns(
    batch: OrderBatch, indexes: list[int], ids: Sequence[int], exponents: list[int]
) -> tuple[dict[str, Iterable[Any]], int]:
    """The order_lines columns of orders `indexes` of `batch` (stored as `ids`, their
    currencies of `exponents` decimals), and how many lines."""
    if len(indexes) == len(batch):
        lines, counts = batch.lines, batch.line_counts
    else:
        starts = batch.line_starts
        counts = [batch.line_counts[index] for index in indexes]
        lines = [
            line
            for index, count in zip(indexes, counts, strict=True)
            for line in batch.lines[starts[index] : starts[index] + count]
        ]
    skus, names, qtys, prices = zip(*lines, strict=True)
    line_exponents = chain.from_iterable(map(repeat, exponents, counts))
    columns = {
        "order_id": chain.from_iterable(map(repeat, ids, counts)),
        "line_no": chain.from_iterable(map(range, repeat(1), [count + 1 for count in counts])),
        "sku": skus,
        "name": names,
        "qty": qtys,
        "unit_price_minor": map(_minor, prices, line_exponents),
    }
    return columns, len(lines)


def _pick(column: list[Any], indexes: list[int], size: int) -> list[Any]:
    """The values of `indexes` in `column` (the column itself when they are all)."""
    return column if len(indexes) == size else [column[index] for index in indexes]


LINE_COLUMNS = ("order_id", "line_no", "sku", "name", "qty", "unit_price_minor")
EVENT_COLUMNS = ("order_id", "at", "actor", "action", "from_status", "to_status", "detail")


def _order_values(record: OrderRecord, now: datetime) -> dict[str, Any]:
    """The orders row of `record` as if newly received at `now` (for --update)."""
    columns, same, _ = _order_columns(OrderBatch.from_records([record]), [0], now)
    return as_dicts(columns, 1, same)[0]


def _line_rows(order_id: int, record: OrderRecord) -> list[tuple[Any, ...]]:
    """The order_lines rows of `record`, in LINE_COLUMNS order (for --update)."""
    exponent = currency_exponent(record.currency)
    columns, _ = _line_columns(OrderBatch.from_records([record]), [0], [order_id], [exponent])
    return list(zip(*(columns[name] for name in LINE_COLUMNS), strict=True))


@lru_cache(maxsize=4096)
def _minor(amount: Decimal | None, exponent: int) -> int | None:
    return None if amount is None else to_minor(amount, exponent)
