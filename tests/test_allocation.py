"""Allocation and verification rules: pure functions, inline values (and Hypothesis).

The stock invariants over the real services are tests/test_invariants.py's.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orderops.domain.allocation import (
    LineRequest,
    Reservation,
    allocate_line,
    allocate_order,
    bin_order,
)
from orderops.domain.verification import address_complete, hold_reasons, postal_code_required


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
