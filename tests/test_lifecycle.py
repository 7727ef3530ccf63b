"""The state machine: the table, what it refuses, and events that replay to the status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
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


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_of_actions_makes_only_moves_the_table_lists(sequence: list[Action]) -> None:
    """Whatever is asked, apply() either refuses (and nothing changes) or makes a move
    from a status the table lists for the action; on hold always knows where it came from.
    (That stored events replay to the stored status is tests/test_invariants.py's.)"""
    status, held_from = apply("7", None, Action.RECEIVE).to_status, None
    for action in sequence:
        try:
            move = apply("7", status, action, held_from)
        except TransitionRefused:
            continue
        sources, target = TRANSITIONS[action]
        assert move.from_status is status and status in sources
        assert move.to_status in (target, status, held_from)
        status, held_from = move.to_status, move.held_from
        assert (held_from is not None) == (status is Status.ON_HOLD)
