"""Looking orders up, and the lifecycle actions an operator takes by hand."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orderops import lifecycle
from orderops.domain.money import from_minor
from orderops.domain.orders import ORDER_FIELDS
from orderops.errors import NotFound
from orderops.lifecycle import Action, Status
from orderops.services.clock import utcnow
from orderops.store.database import Database
from orderops.store.orders import (
    find_order,
    lock_order,
    order_events,
    order_lines,
    orders_with_line_counts,
    other_orders,
)
from orderops.store.status import StatusMove, apply_moves
from orderops.store.stock_moves import release_allocations
from orderops.store.tables import Order, OrderEvent, OrderLine


def track_order(db: Database, key: str) -> dict[str, Any]:
    """The order record, its status, lines and every event, oldest first; and the
    numbers of the customer's other orders when found by e-mail."""
    with db.transaction(write=False) as session:
        order = find_order(session, key)
        if order is None:
            raise NotFound(f"no order {key.strip()}")
        assert order.id is not None
        lines = order_lines(session, order.id)
        events = order_events(session, order.id)
        others: list[str] = []
        if order.order_number != key.strip() and order.email:
            others = other_orders(session, order.email, order.id)
    return order_view(order, lines, events) | {"other_orders": others}


def order_view(
    order: Order, lines: Sequence[OrderLine], events: Sequence[OrderEvent]
) -> dict[str, Any]:
    exponent = order.currency_exponent
    view: dict[str, Any] = {name: getattr(order, name) for name in ORDER_FIELDS}
    view["status"] = order.status
    view["hold_reason"] = order.hold_reason or None
    view["hold_until"] = order.hold_until
    view["lines"] = [
        {
            "sku": line.sku,
            "name": line.name,
            "qty": line.qty,
            "unit_price": (
                None
                if line.unit_price_minor is None
                else str(from_minor(line.unit_price_minor, exponent))
            ),
        }
        for line in lines
    ]
    view["events"] = [
        {
            "at": event.at,
            "action": event.action,
            "from": event.from_status,
            "to": event.to_status,
            "actor": event.actor,
            "detail": json.loads(event.detail),
        }
        for event in events
    ]
    return view


def list_orders(db: Database, statuses: Sequence[Status] = ()) -> list[dict[str, Any]]:
    """Orders with their line counts, oldest placed first."""
    with db.transaction(write=False) as session:
        rows = orders_with_line_counts(session, [s.value for s in statuses])
    return [
        {
            "order_number": order.order_number,
            "status": order.status,
            "customer_name": order.customer_name,
            "placed_at": order.placed_at,
            "ship_by": order.ship_by,
            "line_count": count,
        }
        for order, count in rows
    ]


def hold_order(
    db: Database, number: str, reason: str, until: datetime | None, actor: str
) -> dict[str, Any]:
    detail: dict[str, Any] = {"reason": reason}
    if until is not None:
        detail["until"] = until
    return _act(db, number, Action.HOLD, actor, detail)


def release_order(db: Database, number: str, actor: str) -> dict[str, Any]:
    return _act(db, number, Action.RELEASE, actor, {})


def cancel_order(db: Database, number: str, reason: str, actor: str) -> dict[str, Any]:
    """Cancel an order and free the stock it reserved (a ready order, or one held from ready)."""
    return _act(db, number, Action.CANCEL, actor, {"reason": reason}, frees=f"cancel: {reason}")


def _act(
    db: Database,
    number: str,
    action: Action,
    actor: str,
    detail: dict[str, Any],
    frees: str = "",
) -> dict[str, Any]:
    """Apply one operator action to one order, retried while the database is busy.

    With `frees` (the reason), what was reserved for the order goes back to stock
    in the same transaction, and the event says how many units.
    """

    def work(session: Any) -> dict[str, Any]:
        connection = session.connection()
        order = lock_order(connection, number.strip())
        if order is None:
            raise NotFound(f"no order {number}")
        at = utcnow()
        # Asked before anything is written: a refusal is the lifecycle's, in its words.
        lifecycle.apply(order.number, Status(order.status), action,
                        Status(order.held_from) if order.held_from else None)  # fmt: skip
        event, freed = dict(detail), 0
        if frees:
            freed = release_allocations(connection, [order.id], actor, at, frees)[order.id]
        if freed:
            event["units_freed"] = freed
        (transition,) = apply_moves(connection, [StatusMove(*order, action, event)], actor, at)
        result: dict[str, Any] = {
            "order_number": order.number,
            "from": transition.from_status,
            "to": transition.to_status,
        }
        if frees:
            result["units_freed"] = freed
        return result

    return db.write(work)
