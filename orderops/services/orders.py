"""Looking orders up, and the lifecycle actions an operator takes by hand."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from orderops.domain.money import from_minor
from orderops.domain.orders import ORDER_FIELDS
from orderops.errors import NotFound
from orderops.lifecycle import Action, Status
from orderops.services.transitions import change_status, utcnow
from orderops.store.database import Database
from orderops.store.tables import Order, OrderEvent, OrderLine


def find_order(session: Session, key: str) -> Order:
    """The order with this number, else the latest one for this e-mail address."""
    key = key.strip()
    order = session.exec(select(Order).where(Order.order_number == key)).first()
    if order is None and "@" in key:
        order = session.exec(
            select(Order)
            .where(func.lower(Order.email) == key.lower())
            .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        ).first()
    if order is None:
        raise NotFound(f"no order {key}")
    return order


def track_order(db: Database, key: str) -> dict[str, Any]:
    """The order record, its status, lines and every event, oldest first; and the
    numbers of the customer's other orders when found by e-mail."""
    with db.transaction(write=False) as session:
        order = find_order(session, key)
        lines = session.exec(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.line_no))
        ).all()
        events = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(col(OrderEvent.id))
        ).all()
        others: Sequence[str] = []
        if order.order_number != key.strip() and order.email:
            others = session.exec(
                select(Order.order_number)
                .where(func.lower(Order.email) == order.email.lower(), Order.id != order.id)
                .order_by(col(Order.placed_at))
            ).all()
    return order_view(order, lines, events) | {"other_orders": list(others)}


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
    line_count = (
        select(OrderLine.order_id, func.count().label("n"))
        .group_by(col(OrderLine.order_id))
        .subquery()
    )
    query = (
        select(Order, line_count.c.n)
        .join(line_count, line_count.c.order_id == Order.id)
        .order_by(col(Order.placed_at), col(Order.id))
    )
    if statuses:
        query = query.where(col(Order.status).in_([s.value for s in statuses]))
    with db.transaction(write=False) as session:
        rows = session.exec(query).all()
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
    return _act(db, number, Action.HOLD, actor, detail, hold_reason=reason, hold_until=until)


def release_order(db: Database, number: str, actor: str) -> dict[str, Any]:
    return _act(db, number, Action.RELEASE, actor, {})


def cancel_order(db: Database, number: str, reason: str, actor: str) -> dict[str, Any]:
    """Cancel an order and free the stock it reserved (a ready order, or one held from ready)."""
    from orderops.services.stock import free_allocations

    def free(session: Session, order: Order, at: datetime) -> dict[str, Any]:
        assert order.id is not None
        session.flush()
        freed = free_allocations(session.connection(), order.id, actor, f"cancel: {reason}", at)
        return {"units_freed": freed}

    return _act(db, number, Action.CANCEL, actor, {"reason": reason}, after=free)


def _act(
    db: Database,
    number: str,
    action: Action,
    actor: str,
    detail: dict[str, Any],
    hold_reason: str = "",
    hold_until: datetime | None = None,
    after: Callable[[Session, Order, datetime], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Apply one operator action to one order, retried while the database is busy.

    A hold's reason lives only while the order is held; `after` does the
    action's own work (freeing stock) in the same transaction.
    """

    def work(session: Session) -> dict[str, Any]:
        order = session.exec(
            select(Order).where(Order.order_number == number.strip()).with_for_update()
        ).first()
        if order is None:
            raise NotFound(f"no order {number}")
        at = utcnow()
        transition = change_status(session, order, action, actor, detail, at)
        order.hold_reason = hold_reason
        order.hold_until = hold_until
        result = {
            "order_number": order.order_number,
            "from": transition.from_status,
            "to": transition.to_status,
        }
        if after is not None:
            result |= after(session, order, at)
        return result

    return db.write(work)
