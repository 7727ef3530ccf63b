"""How results are shown: Rich for people, stable JSON for scripts.

json, datetime and decimal are imported inside the functions: every command
module imports this one, and `orderops --help` should not pay for them.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from orderops.domain.json_values import json_default


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=json_default) + "\n")


def local_time(value: datetime | None) -> str:
    """A stored UTC time, shown in the machine's local time."""
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def console() -> Any:
    from rich.console import Console

    # soft_wrap: lines are not cut at 80 columns when piped into a file or grep.
    return Console(highlight=False, soft_wrap=True)


def table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for column in columns:
        grid.add_column(column)
    return grid


def print_table(grid: Any) -> None:
    """A table on a terminal as Rich draws it; into a pipe, one unwrapped line per
    row without trailing blanks, so that grep and awk see whole rows."""
    from rich.console import Console

    out = Console(highlight=False)
    if out.is_terminal:
        out.print(grid)
        return
    wide = Console(highlight=False, width=100_000, no_color=True)
    with wide.capture() as captured:
        wide.print(grid)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
