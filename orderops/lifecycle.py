"""The order lifecycle: every status, every action, and which moves are allowed.

This module is the whole state machine. `apply` is the only place a status is
decided; the store calls it and records the event it describes. stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orderops.errors import TransitionRefused


class Status(StrEnum):
    RECEIVED = "received"
    READY = "ready"
    BACKORDERED = "backordered"
    ON_HOLD = "on_hold"
    PICKING = "picking"
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Action(StrEnum):
    RECEIVE = "receive"
    ALLOCATE = "allocate"
    BACKORDER = "backorder"
    HOLD = "hold"
    RELEASE = "release"
    PICK = "pick"
    CONFIRM_PICK = "confirm_pick"
    PACK = "pack"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"
    UPDATE = "update"


S = Status
HOLDABLE = (S.RECEIVED, S.READY, S.BACKORDERED)
BEFORE_SHIPPED = (S.RECEIVED, S.READY, S.BACKORDERED, S.ON_HOLD, S.PICKING, S.PICKED, S.PACKED)
# Content may change until picking starts (bulk receive --update).
UPDATABLE = (S.RECEIVED, S.READY, S.BACKORDERED, S.ON_HOLD)

# action -> (statuses it may start from, status it leads to).
# RELEASE leads back to the status the order was held from (None here).
# UPDATE (changed content received again) sends the order back to received,
# to be verified and allocated anew; a held order stays held, to be released
# to received.
TRANSITIONS: dict[Action, tuple[tuple[Status, ...], Status | None]] = {
    Action.RECEIVE: ((), S.RECEIVED),
    Action.ALLOCATE: ((S.RECEIVED, S.BACKORDERED), S.READY),
    Action.BACKORDER: ((S.RECEIVED,), S.BACKORDERED),
    Action.HOLD: (HOLDABLE, S.ON_HOLD),
    Action.RELEASE: ((S.ON_HOLD,), None),
    Action.PICK: ((S.READY,), S.PICKING),
    Action.CONFIRM_PICK: ((S.PICKING,), S.PICKED),
    Action.PACK: ((S.PICKED,), S.PACKED),
    Action.SHIP: ((S.PACKED,), S.SHIPPED),
    Action.DELIVER: ((S.SHIPPED,), S.DELIVERED),
    Action.CANCEL: (BEFORE_SHIPPED, S.CANCELLED),
    Action.UPDATE: (UPDATABLE, S.RECEIVED),
}


@dataclass(frozen=True)
class Transition:
    """One allowed move: what the order was, what it becomes."""

    action: Action
    from_status: Status | None
    to_status: Status
    # The status a held order returns to on release; None when not on hold.
    held_from: Status | None


def allowed_actions(status: Status) -> list[Action]:
    """The actions the table allows from `status`, in table order."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def apply(
    order_number: str,
    status: Status | None,
    action: Action,
    held_from: Status | None = None,
) -> Transition:
    """Decide the move `action` makes from `status`, or refuse it.

    `status` is None for an order that does not exist yet (only RECEIVE).
    `held_from` is the status an on-hold order was held from.
    """
    sources, target = TRANSITIONS[action]
    if status is None:
        if action is not Action.RECEIVE:
            raise TransitionRefused(f"order {order_number} does not exist yet")
        assert target is not None
        return Transition(action, None, target, None)
    if status not in sources:
        raise TransitionRefused(_refusal(order_number, status, action))
    if action is Action.RELEASE:
        if held_from is None:
            raise TransitionRefused(f"order {order_number} is on hold but its prior status is lost")
        return Transition(action, status, held_from, None)
    if action is Action.UPDATE and status is S.ON_HOLD:
        return Transition(action, status, status, S.RECEIVED)
    assert target is not None
    new_held_from = status if target is S.ON_HOLD else None
    return Transition(action, status, target, new_held_from)


def _refusal(order_number: str, status: Status, action: Action) -> str:
    """Why `action` cannot move this order: its status, where the action works
    from, and what the order could do instead."""
    sources, _ = TRANSITIONS[action]
    allowed = ", ".join(allowed_actions(status)) or "none, it is final"
    return (
        f"order {order_number} is {status}: cannot {action} it "
        f"({action} works from {', '.join(sources) or 'no status'}; "
        f"from {status} the lifecycle allows: {allowed})"
    )


def describe() -> list[tuple[str, str, str]]:
    """The table as rows of (action, from, to), as `orderops lifecycle` prints it."""
    rows = []
    for action, (sources, target) in TRANSITIONS.items():
        origin = ", ".join(sources) if sources else "(new order)"
        if action is Action.RELEASE:
            goal = "the status it was held from"
        elif action is Action.UPDATE:
            goal = "received (a held order stays held, to be released to received)"
        else:
            goal = str(target)
        rows.append((str(action), origin, goal))
    return rows


def render_table() -> str:
    """The lifecycle as fixed-width plain text (also pasted in the README)."""
    rows = [("action", "from", "to"), *describe()]
    width_action = max(len(r[0]) for r in rows)
    width_from = max(len(r[1]) for r in rows)
    lines = [f"{a:<{width_action}}  {f:<{width_from}}  {t}".rstrip() for a, f, t in rows]
    return "\n".join(lines) + "\n"
