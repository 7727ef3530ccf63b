"""The one way an order's status changes: checked by the lifecycle, logged as an event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from orderops import lifecycle
from orderops.lifecycle import Action, Status, Transition
from orderops.store.tables import Order, OrderEvent


def utcnow() -> datetime:
    return datetime.now(UTC)


def event_values(
    order_id: int, transition: Transition, actor: str, at: datetime, detail: dict[str, Any]
) -> dict[str, Any]:
    """The order_events row recording `transition` (also used by bulk inserts)."""
    return {
        "order_id": order_id,
        "at": at,
        "actor": actor,
        "action": transition.action.value,
        "from_status": transition.from_status.value if transition.from_status else None,
        "to_status": transition.to_status.value,
        "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False, default=str),
    }


def change_status(
    session: Session,
    order: Order,
    action: Action,
    actor: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Transition:
    """Apply `action` to `order` if the lifecycle allows it, and record the event."""
    at = at or utcnow()
    transition = lifecycle.apply(
        order.order_number,
        Status(order.status),
        action,
        Status(order.held_from) if order.held_from else None,
    )
    order.status = transition.to_status.value
    order.held_from = transition.held_from.value if transition.held_from else None
    order.updated_at = at
    session.add(order)
    assert order.id is not None
    session.add(OrderEvent(**event_values(order.id, transition, actor, at, detail or {})))
    return transition
