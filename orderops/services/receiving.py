"""Receive orders: new ones are written, resent ones skipped, changed ones refused.

One call is one transaction, so a run receives all of its orders or none.
Rows go in through Core `insert()` executemany in batches: the ORM's
per-object bookkeeping costs far more than the insert itself on bulk files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlmodel import Session

from orderops import lifecycle
from orderops.domain.money import to_minor
from orderops.domain.orders import OrderRecord
from orderops.errors import Conflict, InvalidInput
from orderops.formats.records import currency_exponent, to_utc
from orderops.lifecycle import Action
from orderops.services.transitions import event_values, utcnow
from orderops.store.database import Database
from orderops.store.tables import ORDER_EVENTS, ORDER_LINES, ORDERS, Order

BATCH = 2000


@dataclass
class ReceiveSummary:
    received: int = 0
    lines: int = 0
    skipped: int = 0
    dry_run: bool = False
    received_numbers: list[str] = field(default_factory=list)
    skipped_numbers: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "lines": self.lines,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "received_orders": self.received_numbers,
            "skipped_orders": self.skipped_numbers,
        }


def receive_orders(
    db: Database,
    records: Sequence[OrderRecord],
    actor: str,
    *,
    dry_run: bool = False,
) -> ReceiveSummary:
    """Write the orders not yet received; refuse the run if any was changed."""
    unique = _drop_repeats_in_input(records)
    summary = ReceiveSummary(dry_run=dry_run, skipped=len(records) - len(unique))
    summary.skipped_numbers = [r.order_number for r in records if unique[r.order_number] is not r]
    with db.transaction() as session:
        known = _known_fingerprints(session, list(unique))
        changed = [r for n, r in unique.items() if n in known and known[n] != r.fingerprint]
        if changed:
            raise Conflict(_changed_message(changed))
        new = [r for n, r in unique.items() if n not in known]
        summary.skipped += len(unique) - len(new)
        summary.skipped_numbers += [n for n in unique if n in known]
        summary.received = len(new)
        summary.lines = sum(len(r.lines) for r in new)
        summary.received_numbers = [r.order_number for r in new]
        if not dry_run:
            _insert(session.connection(), new, actor, utcnow())
    return summary


def _drop_repeats_in_input(records: Iterable[OrderRecord]) -> dict[str, OrderRecord]:
    """The first of each order number; the same number with other content is bad input."""
    first: dict[str, OrderRecord] = {}
    clashes = []
    for record in records:
        seen = first.setdefault(record.order_number, record)
        if seen is not record and seen.fingerprint != record.fingerprint:
            clashes.append(
                f"{record.source}: order {record.order_number} appears again with "
                f"different content (first at {seen.source})"
            )
    if clashes:
        raise InvalidInput(clashes)
    return first


def _known_fingerprints(session: Session, numbers: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for start in range(0, len(numbers), BATCH):
        chunk = numbers[start : start + BATCH]
        rows = session.connection().execute(
            select(Order.order_number, Order.fingerprint).where(  # type: ignore[call-overload]
                Order.order_number.in_(chunk)  # type: ignore[attr-defined]
            )
        )
        known.update({number: fingerprint for number, fingerprint in rows})
    return known


def _changed_message(changed: list[OrderRecord]) -> str:
    shown = ", ".join(f"{r.order_number} ({r.source})" for r in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    return (
        f"{len(changed)} order(s) already received with different content: {shown}{more}; "
        "nothing was written"
    )


def _insert(connection: Connection, records: list[OrderRecord], actor: str, now: datetime) -> None:
    transition = lifecycle.apply("", None, Action.RECEIVE)
    insert_order = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
    for start in range(0, len(records), BATCH):
        chunk = records[start : start + BATCH]
        ids = connection.execute(insert_order, [_order_values(r, now) for r in chunk]).scalars()
        line_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        for order_id, record in zip(ids, chunk, strict=True):
            line_rows.extend(_line_values(order_id, record))
            event_rows.append(
                event_values(order_id, transition, actor, now, {"source": record.source})
            )
        connection.execute(insert(ORDER_LINES), line_rows)
        connection.execute(insert(ORDER_EVENTS), event_rows)


def _order_values(record: OrderRecord, now: datetime) -> dict[str, Any]:
    return {
        "order_number": record.order_number,
        "status": lifecycle.Status.RECEIVED.value,
        "held_from": None,
        "hold_reason": "",
        "hold_until": None,
        "placed_at": to_utc(record.placed_at) if record.placed_at else now,
        "ship_by": record.ship_by,
        "priority": record.priority,
        "channel": record.channel,
        "customer_name": record.customer_name,
        "email": record.email,
        "phone": record.phone,
        "address1": record.address1,
        "address2": record.address2,
        "city": record.city,
        "region": record.region,
        "postal_code": record.postal_code,
        "country": record.country,
        "shipping_method": record.shipping_method,
        "currency": record.currency,
        "currency_exponent": currency_exponent(record.currency),
        "note": record.note,
        "fingerprint": record.fingerprint,
        "received_at": now,
        "updated_at": now,
    }


def _line_values(order_id: int, record: OrderRecord) -> list[dict[str, Any]]:
    exponent = currency_exponent(record.currency)
    return [
        {
            "order_id": order_id,
            "line_no": number,
            "sku": line.sku,
            "name": line.name,
            "qty": line.qty,
            "unit_price_minor": (
                None if line.unit_price is None else to_minor(line.unit_price, exponent)
            ),
        }
        for number, line in enumerate(record.lines, start=1)
    ]
