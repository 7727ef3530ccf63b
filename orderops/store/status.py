"""The one place an order's status is written: checked by the lifecycle, logged as events.

Every command that moves orders (process, hold, release, cancel, receive
--update, and pick, pack, ship after them) hands a batch of `StatusMove`s to
`apply_moves`, in its own transaction. For each move the lifecycle decides
the new status (or refuses it, naming the order); the new statuses are
written by UPDATEs that only match an order still in the status that was
read, so an order another process moved meanwhile is a conflict, never a
silent overwrite; and one event row per move records what happened. One
order or a hundred thousand take the same path: statements run over batches
of ids, not row by row.

A new order gets its first status from the lifecycle too (`received_status`),
and its `receive` event from `record_received`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection

from orderops import lifecycle
from orderops.domain.json_values import json_default
from orderops.errors import Conflict
from orderops.lifecycle import Action, Status, Transition
from orderops.store.bulk import insert_columns
from orderops.store.driver import bind_value, by_id_only, each_batch, insert_many, update_or_fail
from orderops.store.tables import ORDER_EVENTS, ORDERS


class StatusMove(NamedTuple):
    """One order to move: its status and held-from as read in this transaction,
    the action, and the event's detail. A HOLD's detail carries its `reason`
    (and `until`, if any), which the order keeps while it is held."""

    order_id: int
    order_number: str
    status: str
    held_from: str | None
    action: Action
    detail: dict[str, Any]


def apply_moves(
    connection: Connection, moves: Iterable[StatusMove], actor: str, at: datetime
) -> list[Transition]:
    """Apply every move, or none: the lifecycle's transitions, in the moves' order.

    Raises TransitionRefused (the lifecycle's words) for a move the table does
    not allow, and Conflict when an order is no longer in the status read.
    Only inside the caller's write transaction, which any failure rolls back.
    """
    transitions: list[Transition] = []
    updates: dict[_UpdateKind, list[int]] = {}
    events: list[tuple[Any, ...]] = []
    decide = _Decided()
    details = _DetailTexts()
    for move in moves:
        transition, columns, update = decide(move)
        transitions.append(transition)
        update = update or _update_kind(transition, move.detail)
        updates.setdefault(update, []).append(move.order_id)
        events.append((move.order_id, *columns, details.text(move.detail)))
    _write_statuses(connection, updates, at)
    _insert_events(connection, events, actor, at)
    return transitions


class _Decided:
    """`lifecycle.apply` for each move. Its answer depends only on the status, the
    held-from and the action, so a batch of 100,000 moves asks it once per kind; a
    refusal is not kept, so each refused order is named in its own words."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str | None, Action], _Decision] = {}

    def __call__(self, move: StatusMove) -> _Decision:
        kind = (move.status, move.held_from, move.action)
        decision = self.known.get(kind)
        if decision is None:
            held_from = Status(move.held_from) if move.held_from else None
            transition = lifecycle.apply(
                move.order_number, Status(move.status), move.action, held_from
            )
            # A hold's UPDATE depends on its reason; every other kind's is the same.
            sets_hold = transition.action is Action.HOLD
            update = None if sets_hold else _update_kind(transition, {})
            decision = self.known[kind] = (transition, _event_columns(transition), update)
        return decision


# A move's transition, its event's action/from/to, and its UPDATE's kind (None: per move).
_Decision = tuple[Transition, tuple[str, str | None, str], "_UpdateKind | None"]


# What an UPDATE sets besides the status: held_from, and the hold's reason and
# until-date, or None where the order keeps its own (receive --update of a held
# order leaves it held, for the same reason).
_UpdateKind = tuple[str, str, str | None, str | None, datetime | None]


def _update_kind(transition: Transition, detail: dict[str, Any]) -> _UpdateKind:
    assert transition.from_status is not None  # only `received_status` starts an order
    target = transition.to_status
    if target is Status.ON_HOLD and transition.action is Action.HOLD:
        reason, until = str(detail["reason"]), detail.get("until")
    elif target is Status.ON_HOLD:
        reason, until = None, None  # kept as it is
    else:
        reason, until = "", None  # no hold: none recorded
    held_from = transition.held_from.value if transition.held_from else None
    return (transition.from_status.value, target.value, held_from, reason, until)


def _write_statuses(
    connection: Connection, updates: dict[_UpdateKind, list[int]], at: datetime
) -> None:
    """One UPDATE per kind of move and batch of ids, each only where the order is
    still in the status read; the rows changed must add up to every move."""
    updated_at = bind_value(connection, ORDERS.c.updated_at, at)
    changed = wanted = 0
    for (from_status, to_status, held_from, reason, until), ids in updates.items():
        assignments, params = ["status = ?", "held_from = ?"], [to_status, held_from]
        if reason is not None:
            assignments += ["hold_reason = ?", "hold_until = ?"]
            params += [reason, bind_value(connection, ORDERS.c.hold_until, until)]
        sql = (
            f"{update_or_fail(connection)} orders{by_id_only(connection)} "
            f"SET {', '.join(assignments)}, updated_at = ? "
            "WHERE status = ? AND id IN ({values})"
        )
        wanted += len(ids)
        # In id order, each statement's rows lie together: far fewer pages to visit.
        batches = each_batch(connection, sql, sorted(ids), (*params, updated_at, from_status))
        changed += sum(result.rowcount for result in batches)
    if changed != wanted:
        raise Conflict(
            f"{wanted - changed} of {wanted} order(s) changed status in another process "
            "meanwhile; nothing was written, try again"
        )


def _event_columns(transition: Transition) -> tuple[str, str | None, str]:
    return (
        transition.action.value,
        transition.from_status.value if transition.from_status else None,
        transition.to_status.value,
    )


EVENT_COLUMNS = ("order_id", "action", "from_status", "to_status", "detail")


def _insert_events(
    connection: Connection, events: list[tuple[Any, ...]], actor: str, at: datetime
) -> None:
    # In order id order (stable: an order's events keep their order): rows inserted
    # in index order cost markedly less than scattered ones.
    events.sort(key=itemgetter(0))
    same = {"at": bind_value(connection, ORDER_EVENTS.c.at, at), "actor": actor}
    insert_many(connection, "order_events", EVENT_COLUMNS, events, same)


class _DetailTexts:
    """Event details as JSON text; a run's details repeat ({"units": 2}), so each
    distinct one is written once."""

    def __init__(self) -> None:
        self.known: dict[tuple[Any, ...], str] = {}

    def text(self, detail: dict[str, Any]) -> str:
        try:
            # Keyed by each value's type too: 1, True and 1.0 are equal but written apart.
            key = (*detail.items(), *map(type, detail.values()))
            found = self.known.get(key)
        except TypeError:  # an unhashable value (a list): written each time
            return detail_json(detail)
        if found is None:
            found = self.known[key] = detail_json(detail)
        return found


def detail_json(detail: dict[str, Any]) -> str:
    """An event's detail as stored: JSON, keys sorted, times in UTC, money exact."""
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, default=json_default)


def received_status() -> dict[str, Any]:
    """The status columns of a newly received order, as the lifecycle starts it."""
    transition = lifecycle.apply("", None, Action.RECEIVE)
    return {
        "status": transition.to_status.value,
        "held_from": None,
        "hold_reason": "",
        "hold_until": None,
    }


def record_received(
    connection: Connection,
    order_ids: Sequence[int],
    sources: Iterable[str],
    actor: str,
    at: datetime,
) -> None:
    """The `receive` event of each new order, its detail naming where it was read from."""
    action, from_status, to_status = _event_columns(lifecycle.apply("", None, Action.RECEIVE))
    # {"source": ...} written directly: one per order of a large file.
    texts = map('{{"source": {}}}'.format, map(encode_basestring, sources))
    same = {"at": at, "actor": actor, "action": action, "from_status": from_status,
            "to_status": to_status}  # fmt: skip
    columns = {"order_id": order_ids, "detail": texts}
    insert_columns(connection, ORDER_EVENTS, columns, len(order_ids), same)
