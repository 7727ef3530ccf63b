"""Allocation rules (pure, inline values) and the stock invariants (Hypothesis)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderops.domain.allocation import (
    LineRequest,
    Reservation,
    allocate_line,
    allocate_order,
    bin_order,
)
from orderops.domain.verification import address_complete, hold_reasons, postal_code_required
from orderops.errors import Conflict, TransitionRefused


def test_a_line_comes_from_the_bin_with_the_most_available_first() -> None:
    bins = {"A-01-1": 3, "A-02-1": 7}
    assert allocate_line(LineRequest(1, "TEA", 2), bins) == [Reservation(1, "TEA", "A-02-1", 2)]


def test_equal_bins_are_taken_in_shelf_order_with_numbers_compared_as_numbers() -> None:
    assert sorted(["A-10-1", "A-03-2", "A-3-1", "B-01-1"], key=bin_order) == [
        "A-3-1", "A-03-2", "A-10-1", "B-01-1",
    ]  # fmt: skip
    bins = {"A-10-1": 2, "A-09-1": 2}
    assert allocate_line(LineRequest(1, "TEA", 1), bins) == [Reservation(1, "TEA", "A-09-1", 1)]


def test_a_line_larger_than_any_bin_is_split_across_bins() -> None:
    bins = {"A-01-1": 2, "A-02-1": 3, "A-03-1": 1}
    assert allocate_line(LineRequest(1, "TEA", 5), bins) == [
        Reservation(1, "TEA", "A-02-1", 3),
        Reservation(1, "TEA", "A-01-1", 2),
    ]


def test_an_order_is_allocated_whole_or_leaves_stock_untouched() -> None:
    available = {"TEA": {"A-01-1": 5}, "MUG": {"B-01-1": 1}}
    lines = [LineRequest(1, "TEA", 3), LineRequest(2, "MUG", 2)]
    assert allocate_order(lines, available) is None
    assert available == {"TEA": {"A-01-1": 5}, "MUG": {"B-01-1": 1}}
    assert allocate_order(lines[:1], available) == [Reservation(1, "TEA", "A-01-1", 3)]
    assert available["TEA"] == {"A-01-1": 2}


def test_two_lines_of_one_sku_count_against_the_same_stock() -> None:
    available = {"TEA": {"A-01-1": 3}}
    assert allocate_order([LineRequest(1, "TEA", 2), LineRequest(2, "TEA", 2)], available) is None
    assert available == {"TEA": {"A-01-1": 3}}


def test_hold_reasons_name_unknown_skus_missing_fields_and_postal_codes() -> None:
    order = {"customer_name": "Ada", "address1": "", "city": "London", "country": "GB"}
    assert hold_reasons(order, ["TEA", "NOPE", "NOPE"], {"TEA"}) == [
        "unknown SKU NOPE",
        "address incomplete: address1",
        "postal code required for GB",
    ]
    complete = order | {"address1": "1 Road", "country": "HK"}
    assert hold_reasons(complete, ["TEA"], {"TEA"}) == []
    assert not postal_code_required("IE") and postal_code_required("US")


@settings(max_examples=300)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=4),
    st.lists(st.integers(1, 5), min_size=1, max_size=4),
)
def test_allocation_never_takes_more_than_a_bin_has(bins: list[int], wanted: list[int]) -> None:
    available = {"TEA": {f"A-{i:02d}-1": units for i, units in enumerate(bins)}}
    before = dict(available["TEA"])
    lines = [LineRequest(i, "TEA", qty) for i, qty in enumerate(wanted)]
    reserved = allocate_order(lines, available)
    if reserved is None:
        assert sum(wanted) > sum(bins) and available["TEA"] == before
        return
    assert all(units >= 0 for units in available["TEA"].values())
    for i, qty in enumerate(wanted):
        assert sum(r.qty for r in reserved if r.line_id == i) == qty
    for location, units in before.items():
        assert units - available["TEA"][location] == sum(
            r.qty for r in reserved if r.location == location
        )


LOCATIONS = ("A-1-1", "A-01-1", "A-01-2", "A-10-1", "A-9-3", "B-2-1", "B-02-1")


@settings(max_examples=400)
@given(
    st.lists(st.tuples(st.sampled_from(LOCATIONS), st.integers(0, 6)), max_size=5),
    st.integers(1, 12),
)
def test_a_line_takes_the_fullest_bins_first_and_ties_in_shelf_order(
    bins: list[tuple[str, int]], qty: int
) -> None:
    # The rule as plainly as it is stated, whatever order the bins come in.
    available = dict(bins)
    ranked = sorted(available, key=lambda location: (-available[location], bin_order(location)))
    expected, wanted = [], qty
    for location in ranked:
        take = min(wanted, available[location])
        if take <= 0:
            break
        expected.append(Reservation(1, "TEA", location, take))
        wanted -= take
    assert allocate_line(LineRequest(1, "TEA", qty), available) == (
        expected if wanted == 0 else None
    )


texts = st.sampled_from(["", " ", "\t", "x", " London "])


@settings(max_examples=400)
@given(
    texts,
    texts,
    texts,
    st.sampled_from(["", " ", "GB", "gb", " us", "HK", "hk ", "IE"]),
    st.sampled_from(["", " ", "N1 1AA"]),
)
def test_the_quick_address_check_agrees_with_the_hold_reasons(
    name: str, address1: str, city: str, country: str, postal_code: str
) -> None:
    address = {"customer_name": name, "address1": address1, "city": city, "country": country,
               "postal_code": postal_code}  # fmt: skip
    assert address_complete(name, address1, city, country, postal_code) == (
        hold_reasons(address, [], set()) == []
    )


# Hypothesis over the real services: any sequence of receive, process, cancel
# and stock changes keeps the stock invariants.
SKUS = ("TEA", "MUG", "POT")
BINS = ("A-01-1", "A-02-1")
receive = st.tuples(
    st.just("receive"),
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3),
)
process = st.tuples(st.just("process"), st.none())
cancel = st.tuples(st.just("cancel"), st.integers(0, 5))
add = st.tuples(
    st.just("add"), st.tuples(st.sampled_from(SKUS), st.sampled_from(BINS), st.integers(-4, 6))
)
count = st.tuples(
    st.just("set"), st.tuples(st.sampled_from(SKUS), st.sampled_from(BINS), st.integers(0, 6))
)
steps = st.lists(st.one_of(receive, process, cancel, add, count), max_size=12)
_runs = itertools.count()
_databases: dict[str, Any] = {}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_stock_invariants_hold_whatever_the_sequence_of_operations(
    db_url: str, sequence: list[tuple[str, Any]]
) -> None:
    from orderops.domain.orders import LineRecord as OrderLine
    from orderops.domain.orders import OrderRecord
    from orderops.domain.stock import StockRecord
    from orderops.services.orders import cancel_order
    from orderops.services.processing import process_orders
    from orderops.services.receiving import receive_orders
    from orderops.services.stock import change_stock, import_stock
    from orderops.store.database import Database

    if db_url not in _databases:
        _databases[db_url] = Database(db_url)
    db = _databases[db_url]
    run = next(_runs)
    prefix = f"R{run}-"
    import_stock(db, [StockRecord(prefix + sku, BINS[0], 2) for sku in SKUS], "tester")
    received: list[str] = []
    for kind, value in sequence:
        try:
            if kind == "receive":
                number = f"{prefix}{len(received)}"
                lines = tuple(OrderLine(prefix + sku, qty) for sku, qty in value)
                receive_orders(db, [OrderRecord(number, "Ada", "1 Road", "London", "GB", lines,
                                                postal_code="N1 1AA")], "tester")  # fmt: skip
                received.append(number)
            elif kind == "process":
                process_orders(db, [], "tester")
            elif kind == "cancel" and received:
                cancel_order(db, received[value % len(received)], "changed mind", "tester")
            elif kind in ("add", "set"):
                sku, location, qty = value
                if kind == "add" and qty == 0:
                    continue
                change_stock(db, prefix + sku, qty, location=location, actor="tester",
                             reason=kind, relative=kind == "add")  # fmt: skip
        except (Conflict, TransitionRefused):
            pass
        _assert_invariants(db)


def _assert_invariants(db: Any) -> None:
    from sqlalchemy import text

    with db.transaction(write=False) as session:
        connection = session.connection()
        bins = connection.execute(text("SELECT sku, location, on_hand, allocated FROM stock"))
        reserved = dict(
            ((sku, location), qty)
            for sku, location, qty in connection.execute(
                text("SELECT sku, location, sum(qty) FROM allocations GROUP BY sku, location")
            )
        )
        ready = dict(
            connection.execute(
                text(
                    "SELECT l.sku, sum(l.qty) FROM order_lines l JOIN orders o "
                    "ON o.id = l.order_id WHERE o.status = 'ready' GROUP BY l.sku"
                )
            ).all()
        )
        allocated_per_sku: dict[str, int] = {}
        for sku, location, on_hand, allocated in bins:
            assert on_hand >= 0, (sku, location, on_hand)
            assert 0 <= allocated <= on_hand, (sku, location, on_hand, allocated)
            assert allocated == reserved.get((sku, location), 0), (sku, location)
            allocated_per_sku[sku] = allocated_per_sku.get(sku, 0) + allocated
        for sku, allocated in allocated_per_sku.items():
            assert allocated == ready.get(sku, 0), (sku, allocated, ready.get(sku))
