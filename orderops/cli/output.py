"""How results are shown: Rich for people, stable JSON for scripts.

json, datetime and decimal are imported inside the functions: every command
module imports this one, and `orderops --help` should not pay for them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime


def json_default(value: Any) -> Any:
    from datetime import UTC, date, datetime
    from decimal import Decimal
    from enum import Enum

    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=json_default) + "\n")


def local_time(value: datetime | None) -> str:
    """A stored UTC time, shown in the machine's local time."""
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for column in columns:
        grid.add_column(column)
    return grid
