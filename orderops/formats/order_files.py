"""Read order files of any supported format into checked records, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from orderops.domain.orders import OrderRecord
from orderops.errors import InvalidInput
from orderops.formats.problems import Problem
from orderops.formats.records import RawOrder, build_order
from orderops.formats.sources import read_text
from orderops.formats.yaml_orders import read_yaml_orders

FORMATS = ("yaml",)


def read_order_files(paths: Sequence[str]) -> list[OrderRecord]:
    """Every order in `paths`; if any is bad, InvalidInput listing every problem."""
    raws: list[RawOrder] = []
    problems: list[Problem] = []
    for path in paths:
        name, text = read_text(path)
        found, shape_problems = read_yaml_orders(name, text)
        raws.extend(found)
        problems.extend(shape_problems)
    return build_orders(raws, problems)


def build_orders(
    raws: Sequence[RawOrder], problems: list[Problem] | None = None
) -> list[OrderRecord]:
    problems = list(problems or [])
    records: list[OrderRecord] = []
    for raw in raws:
        record, found = build_order(raw)
        problems.extend(found)
        if record is not None:
            records.append(record)
    if problems:
        count = len(problems)
        raise InvalidInput(
            [str(p) for p in problems],
            summary=f"{count} problem{'s' if count != 1 else ''} in the input",
        )
    return records
