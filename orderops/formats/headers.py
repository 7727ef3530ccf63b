"""One check of a CSV header's column names, for every import (orders and stock).

A column named twice is refused: which of the two holds the value would be a
guess. So is a column with no name between named ones: its values would be
dropped without a word. Empty names at the end of the header are allowed and
their columns ignored: a comma at the end of every line, as some storefront
exports write, makes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from orderops.formats.problems import Problem

_UNNAMED = (
    "has no name; name it or remove it (only unnamed columns at the end, from trailing "
    "commas, are ignored)"
)


def header_problems(source: str, names: Sequence[str]) -> list[Problem]:
    """A problem (on line 1) for each name given more than once and for each
    column without a name before the last named one. `names` are as the
    importer compares them (stripped; lower-cased where case does not count)."""
    last_named = max((index for index, name in enumerate(names) if name), default=-1)
    problems = [
        Problem(source, 1, None, None, f"column {index + 1} of the header {_UNNAMED}")
        for index, name in enumerate(names[:last_named])
        if not name
    ]
    counts = Counter(name for name in names if name)
    for name, count in counts.items():
        if count > 1:
            times = "twice" if count == 2 else f"{count} times"
            problems.append(Problem(source, 1, name, None, f"appears {times} in the header"))
    return problems
