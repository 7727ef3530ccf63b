"""The state machine: the table, what it refuses, and events that replay to the status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderops import lifecycle
from orderops.errors import TransitionRefused
from orderops.lifecycle import TRANSITIONS, Action, Status, apply

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_pair_outside_the_table_is_refused_with_the_allowed_actions() -> None:
    for action, (sources, _) in TRANSITIONS.items():
        for status in Status:
            if status in sources:
                held_from = Status.READY if status is Status.ON_HOLD else None
                assert apply("7", status, action, held_from).from_status is status
                continue
            with pytest.raises(TransitionRefused) as refused:
                apply("7", status, action)
            message = str(refused.value)
            assert f"order 7 is {status}" in message
            assert f"cannot {action}" in message


def test_refusal_names_what_the_status_allows() -> None:
    with pytest.raises(TransitionRefused, match="allows: release, cancel"):
        apply("7", Status.ON_HOLD, Action.PICK, Status.READY)


def test_release_returns_to_the_status_the_order_was_held_from() -> None:
    for origin in lifecycle.HOLDABLE:
        held = apply("7", origin, Action.HOLD)
        assert held.to_status is Status.ON_HOLD and held.held_from is origin
        assert apply("7", Status.ON_HOLD, Action.RELEASE, held.held_from).to_status is origin


def test_shipped_delivered_and_cancelled_orders_cannot_be_cancelled() -> None:
    for status in (Status.SHIPPED, Status.DELIVERED, Status.CANCELLED):
        with pytest.raises(TransitionRefused):
            apply("7", status, Action.CANCEL)


def test_the_happy_path_walks_from_received_to_delivered() -> None:
    status = Status.RECEIVED
    for action in (Action.ALLOCATE, Action.PICK, Action.CONFIRM_PICK, Action.PACK, Action.SHIP,
                   Action.DELIVER):  # fmt: skip
        status = apply("7", status, action).to_status
    assert status is Status.DELIVERED


def test_readme_lifecycle_is_the_table(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("lifecycle")
    assert result.exit_code == 0, result.output
    assert result.stdout == lifecycle.render_table()
    assert lifecycle.render_table() in README.read_text(encoding="utf-8")


def test_lifecycle_json_lists_every_action(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("lifecycle", "--json")
    assert [row["action"] for row in json.loads(result.stdout)] == [a.value for a in Action]


actions = st.lists(st.sampled_from(list(Action)), max_size=25)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=actions)
def test_any_sequence_of_actions_leaves_the_status_its_events_replay_to(
    db_url: str, sequence: list[Action]
) -> None:
    from sqlmodel import col, select

    from orderops.domain.orders import LineRecord as OrderLine
    from orderops.domain.orders import OrderRecord
    from orderops.services.receiving import receive_orders
    from orderops.services.transitions import change_status
    from orderops.store.tables import Order, OrderEvent

    db = _shared_database(db_url)
    number = f"H{next(_numbers)}"
    record = OrderRecord(number, "Ada", "1 Road", "London", "GB", (OrderLine("SKU", 1),))
    receive_orders(db, [record], "tester")
    for action in sequence:
        try:
            with db.transaction() as session:
                order = session.exec(select(Order).where(Order.order_number == number)).one()
                change_status(session, order, action, "tester")
        except TransitionRefused:
            pass
    with db.transaction(write=False) as session:
        order = session.exec(select(Order).where(Order.order_number == number)).one()
        events = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(col(OrderEvent.id))
        ).all()
    db.close()
    replayed: Status | None = None
    for event in events:
        assert event.from_status == (replayed.value if replayed else None)
        replayed = Status(event.to_status)
    assert replayed is not None and replayed.value == order.status


_numbers = iter(range(1_000_000))
_databases: dict[str, object] = {}


def _shared_database(db_url: str):  # type: ignore[no-untyped-def]
    from orderops.store.database import Database

    if db_url not in _databases:
        _databases[db_url] = Database(db_url)
    return _databases[db_url]
