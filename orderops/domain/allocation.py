"""Allocation rules: reserve a whole order from the bins, or nothing.

The rule for a line: take from the bin with the most units available first
(fewest bins to walk, fewest split lines); on a tie, the bin that comes first
in shelf order. A line larger than any one bin is split across bins in that
order. An order is allocated whole (every line) or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

# sku -> location -> units available (on hand minus allocated)
Availability = dict[str, dict[str, int]]


class LineRequest(NamedTuple):
    """What one order line asks for (a named tuple: built by the hundred thousand)."""

    line_id: int
    sku: str
    qty: int


class Reservation(NamedTuple):
    """Units of one order line reserved in one bin."""

    line_id: int
    sku: str
    location: str
    qty: int


@lru_cache(maxsize=65536)
def bin_order(location: str) -> tuple[tuple[int, int | str], ...]:
    """Shelf order of a bin code: A-03-2 before A-10-1 (numbers compare as numbers)."""
    parts = re.split(r"[-.]", location)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def allocate_line(request: LineRequest, bins: Mapping[str, int]) -> list[Reservation] | None:
    """Reservations covering `request` from `bins` (location -> available), else None."""
    wanted = request.qty
    # Most lines fit in the fullest bin: take it without sorting every bin.
    fullest = max(bins.values(), default=0)
    if fullest >= wanted:
        ties = [location for location, units in bins.items() if units == fullest]
        location = ties[0] if len(ties) == 1 else min(ties, key=bin_order)
        return [Reservation(request.line_id, request.sku, location, wanted)]
    reservations = []
    # Fullest first; sorted() is stable, so bins alike stay in shelf order from the first sort.
    for location in sorted(sorted(bins, key=bin_order), key=bins.__getitem__, reverse=True):
        take = min(wanted, bins[location])
        if take <= 0:
            break
        reservations.append(Reservation(request.line_id, request.sku, location, take))
        wanted -= take
        if wanted == 0:
            break
    return reservations if wanted == 0 else None


def allocate_order(
    lines: Sequence[LineRequest], available: Availability
) -> list[Reservation] | None:
    """Reserve every line of an order, or nothing.

    On success the reserved units are taken out of `available` (so the next
    order sees what is left); on failure `available` is left as it was.
    """
    taken: list[Reservation] = []
    for request in lines:
        bins = available.get(request.sku, {})
        found = allocate_line(request, bins)
        if found is None:
            for reservation in taken:
                available[reservation.sku][reservation.location] += reservation.qty
            return None
        for reservation in found:
            bins[reservation.location] -= reservation.qty
        taken.extend(found)
    return taken


def units_by_bin(reservations: Sequence[Reservation]) -> dict[tuple[str, str], int]:
    """Total units reserved per (sku, location)."""
    totals: dict[tuple[str, str], int] = {}
    for reservation in reservations:
        key = (reservation.sku, reservation.location)
        totals[key] = totals.get(key, 0) + reservation.qty
    return totals
