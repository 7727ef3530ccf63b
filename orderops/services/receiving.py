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
from typing import Any, Protocol

from sqlalchemy import Connection

from orderops import lifecycle
from orderops.domain.money import to_minor
from orderops.domain.order_batch import OrderBatch
from orderops.domain.orders import ORDER_FIELDS, OrderRecord
from orderops.errors import Conflict, InvalidInput, TransitionRefused
from orderops.formats.problems import Problem
from orderops.formats.records import (
    RawOrder,
    ReadBatch,
    ReadOrder,
    currency_exponent,
    to_local,
    to_utc,
)
from orderops.lifecycle import Action, Status
from orderops.services.clock import utcnow
from orderops.store.bulk import insert_orders
from orderops.store.database import Database
from orderops.store.orders import (
    LINE_COLUMNS,
    KnownOrder,
    add_lines,
    begin_receiving,
    known_orders,
    replace_content,
    stored_lines,
    stored_order,
    stored_placed_at,
)
from orderops.store.status import StatusMove, apply_moves, received_status, record_received
from orderops.store.stock_moves import release_allocations

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
    # Why --rejects could not be put in place after the orders were committed, if so.
    rejects_not_written: str = ""

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
        with db.bulk_run(), db.transaction() as session:
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
            if run.summary.received >= LARGE_RUN:
                db.refresh_statistics(connection)
    except _DryRun:
        pass
    return run.summary


def _batch_of(reads: list[ReadOrder]) -> ReadBatch:
    """Orders read one at a time (all good, so each has its record), as one batch;
    order i of the batch is `reads[i]`."""
    records = []
    for read in reads:
        assert read.record is not None
        records.append(read.record)
    return ReadBatch(OrderBatch.from_records(records), reads.__getitem__)


def _same_but_placed_at(record: OrderRecord, found: KnownOrder, placed_at: datetime) -> bool:
    """An order sent again with the time stored for it (`placed_at`), as `export`
    writes it (in UTC): the same order, if it was first received without placed_at
    (so stamped with the time it came) or with that time written without an offset
    (local)."""
    if record.placed_at is None or to_utc(record.placed_at) != placed_at:
        return False
    local = to_local(placed_at)
    return found.fingerprint in (
        replace(record, placed_at=None).fingerprint,
        replace(record, placed_at=local).fingerprint,
    )


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

    @property
    def failed(self) -> bool:
        return bool(self.problem_count or self.changed or self.refused_updates)

    def start(self, connection: Connection) -> None:
        begin_receiving(connection)

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
        """Write a batch's new orders (and --update's changed ones), once every order
        of it is sorted into new, already received, changed or refused."""
        batch = read.orders
        if not len(batch):
            return
        numbers = batch.numbers
        # --update may change orders that `process` could allocate meanwhile:
        # lock them (PostgreSQL; SQLite's write lock already covers it).
        known = known_orders(connection, numbers, self.now, lock=self.options.update)
        differing: list[tuple[int, KnownOrder]] = []
        if not known and len(set(numbers)) == len(numbers):
            # Every order new and given once, as in most large files: nothing to compare.
            new = list(range(len(numbers)))
        else:
            new, differing = self.sort_out(read, known)
        changed = self.sort_out_differing(connection, batch, differing)
        summary = self.summary
        summary.received += len(new)
        summary.lines += sum(batch.line_counts[index] for index in new)
        for index in new[: None if self.options.all_numbers else NAMED]:
            self.name(summary.received_numbers, numbers[index])
        if self.failed:
            return
        _insert(connection, batch, new, self.actor, self.now)
        for index, found in changed:
            self.update(connection, batch.record(index), found)

    def sort_out_differing(
        self, connection: Connection, batch: OrderBatch, differing: list[tuple[int, KnownOrder]]
    ) -> list[tuple[int, KnownOrder]]:
        """Of the orders received before with other content: those that differ only in
        how placed_at was written are skipped; the others are to update (--update) or
        refused. Returns the ones to update."""
        changed = []
        stored = stored_placed_at(connection, [found.id for _, found in differing])
        for index, found in differing:
            record = batch.record(index)
            if _same_but_placed_at(record, found, stored[found.id]):
                self.summary.skipped += 1
                self.name(self.summary.skipped_numbers, record.order_number)
            elif self.options.update:
                changed.append((index, found))
            else:
                self.changed.append(record)
        return changed

    def sort_out(
        self, read: ReadBatch, known: dict[str, KnownOrder]
    ) -> tuple[list[int], list[tuple[int, KnownOrder]]]:
        """The batch's new orders, and those already received with other content;
        repeats and resent orders are counted (or refused) here."""
        numbers, fingerprints = read.orders.numbers, read.orders.fingerprints
        new: list[int] = []
        differing: list[tuple[int, KnownOrder]] = []
        in_batch: dict[str, str] = {}
        summary = self.summary
        for index, number in enumerate(numbers):
            fingerprint = fingerprints[index]
            earlier = in_batch.get(number)
            found = known.get(number)
            if earlier is None and found is not None and found.this_run:
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

    def update(self, connection: Connection, record: OrderRecord, found: KnownOrder) -> None:
        """Apply an order's changed content (--update): what was reserved for it goes
        back to stock and it goes back to received, for `process` to verify anew."""
        try:
            lifecycle.apply(
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
        reason = "update: content changed"
        freed = release_allocations(connection, [found.id], self.actor, self.now, reason)
        replace_content(connection, found.id, _content_values(record, self.now),
                        _line_rows(found.id, record))  # fmt: skip
        detail: dict[str, Any] = {"source": record.source, "changed": changes}
        if freed[found.id]:
            detail["units_freed"] = freed[found.id]
        move = StatusMove(found.id, record.order_number, found.status, found.held_from,
                          Action.UPDATE, detail)  # fmt: skip
        apply_moves(connection, [move], self.actor, self.now)
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


def _changed_message(changed: list[OrderRecord]) -> str:
    shown = ", ".join(f"{r.order_number} ({r.source})" for r in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    return (
        f"{len(changed)} order(s) already received with different content: {shown}{more}; "
        "nothing was written (--update applies the changes to orders not yet picked)"
    )


def _changed_fields(connection: Connection, order_id: int, record: OrderRecord) -> list[str]:
    """The names of the fields (and `lines`) whose stored value the record changes."""
    stored = stored_order(connection, order_id)
    new = _order_values(record, stored["received_at"])
    changes = [
        name
        for name in ORDER_FIELDS
        if name != "placed_at" or record.placed_at is not None
        if stored[name] != new[name]
    ]
    new_lines = [row[2:] for row in _line_rows(order_id, record)]
    if stored_lines(connection, order_id) != new_lines:
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
    columns, exponents = _order_columns(batch, indexes, now)
    same = {**received_status(), "received_at": now, "updated_at": now}
    ids = insert_orders(connection, columns, count, same)
    line_columns, lines = _line_columns(batch, indexes, ids, exponents)
    add_lines(connection, line_columns, lines)
    record_received(connection, ids, _pick(batch.sources, indexes, len(batch)), actor, now)


def _order_columns(
    batch: OrderBatch, indexes: list[int], now: datetime
) -> tuple[dict[str, Iterable[Any]], list[int]]:
    """The content columns of orders `indexes` of `batch` (placed at `now` when not
    given); and each order's currency exponent."""
    values = {name: _pick(column, indexes, len(batch)) for name, column in batch.values.items()}
    exponents = list(map(currency_exponent, values["currency"]))
    placed_at = [
        now if moment is None else moment if moment.tzinfo is UTC else to_utc(moment)
        for moment in values["placed_at"]
    ]
    columns: dict[str, Iterable[Any]] = {
        **values,
        "placed_at": placed_at,
        "currency_exponent": exponents,
        "fingerprint": _pick(batch.fingerprints, indexes, len(batch)),
    }
    return columns, exponents


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


def _order_values(record: OrderRecord, now: datetime) -> dict[str, Any]:
    """The content columns of `record`, placed at `now` when not given."""
    columns, _ = _order_columns(OrderBatch.from_records([record]), [0], now)
    return {name: next(iter(values)) for name, values in columns.items()}


def _content_values(record: OrderRecord, now: datetime) -> dict[str, Any]:
    """What --update writes of `record`: its content, changed at `now`; placed_at only
    when given (else the stored one stays)."""
    values = _order_values(record, now)
    if record.placed_at is None:
        del values["placed_at"]
    return {**values, "updated_at": now}


def _line_rows(order_id: int, record: OrderRecord) -> list[tuple[Any, ...]]:
    """The order_lines rows of `record`, in LINE_COLUMNS order (for --update)."""
    exponent = currency_exponent(record.currency)
    columns, _ = _line_columns(OrderBatch.from_records([record]), [0], [order_id], [exponent])
    return list(zip(*(columns[name] for name in LINE_COLUMNS), strict=True))


@lru_cache(maxsize=4096)
def _minor(amount: Decimal | None, exponent: int) -> int | None:
    return None if amount is None else to_minor(amount, exponent)
