"""Looking orders up, and the lifecycle actions an operator takes by hand."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from orderops.domain.money import from_minor
from orderops.errors import NotFound
from orderops.formats.records import currency_exponent
from orderops.lifecycle import Action, Status
from orderops.services.transitions import change_status, utcnow
from orderops.store.database import Database
from orderops.store.tables import Order, OrderEvent, OrderLine

RECORD_FIELDS = (
    "order_number", "placed_at", "ship_by", "priority", "channel", "customer_name",
    "email", "phone", "address1", "address2", "city", "region", "postal_code",
    "country", "shipping_method", "currency", "note",
)  # fmt: skip


def find_order(session: Session, key: str) -> Order:
    """The order with this number, else the latest one for this e-mail address."""
    order = session.exec(select(Order).where(Order.order_number == key)).first()
    if order is None and "@" in key:
        order = session.exec(
            select(Order)
            .where(func.lower(Order.email) == key.strip().lower())
            .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        ).first()
    if order is None:
        raise NotFound(f"no order {key}")
    return order


def _lock_order(session: Session, number: str) -> Order:
    order = session.exec(
        select(Order).where(Order.order_number == number).with_for_update()
    ).first()
    if order is None:
        raise NotFound(f"no order {number}")
    return order


def track_order(db: Database, key: str) -> dict[str, Any]:
    """The order record, its status, lines and every event, oldest first."""
    with db.transaction(write=False) as session:
        order = find_order(session, key)
        lines = session.exec(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(col(OrderLine.line_no))
        ).all()
        events = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(col(OrderEvent.id))
        ).all()
        others = (
            session.exec(
                select(Order.order_number).where(
                    Order.email == order.email, Order.id != order.id, Order.email != ""
                )
            ).all()
            if "@" in key and key != order.order_number
            else []
        )
    return order_view(order, lines, events) | {"other_orders": list(others)}


def order_view(
    order: Order, lines: Sequence[OrderLine], events: Sequence[OrderEvent]
) -> dict[str, Any]:
    exponent = currency_exponent(order.currency)
    view: dict[str, Any] = {name: getattr(order, name) for name in RECORD_FIELDS}
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
    with db.transaction() as session:
        order = _lock_order(session, number)
        detail: dict[str, Any] = {"reason": reason}
        if until is not None:
            detail["until"] = until
        transition = change_status(session, order, Action.HOLD, actor, detail)
        order.hold_reason = reason
        order.hold_until = until
    return {"order_number": number, "from": transition.from_status, "to": transition.to_status}


def release_order(db: Database, number: str, actor: str) -> dict[str, Any]:
    with db.transaction() as session:
        order = _lock_order(session, number)
        transition = change_status(session, order, Action.RELEASE, actor)
        order.hold_reason = ""
        order.hold_until = None
    return {"order_number": number, "from": transition.from_status, "to": transition.to_status}


def cancel_order(db: Database, number: str, reason: str, actor: str) -> dict[str, Any]:
    """Cancel an order and free the stock it reserved (a ready order, or one held from ready)."""
    from orderops.services.stock import free_allocations

    def work(session: Session) -> dict[str, Any]:
        order = _lock_order(session, number)
        at = utcnow()
        transition = change_status(session, order, Action.CANCEL, actor, {"reason": reason}, at)
        order.hold_reason = ""
        order.hold_until = None
        assert order.id is not None
        session.flush()
        freed = free_allocations(session.connection(), order.id, actor, f"cancel: {reason}", at)
        return {
            "order_number": number,
            "from": transition.from_status,
            "to": transition.to_status,
            "units_freed": freed,
        }

    return db.write(work)
