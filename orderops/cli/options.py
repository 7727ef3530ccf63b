"""Options several commands share, spelled and explained once."""

from __future__ import annotations

from typing import Annotated

import typer

from orderops.lifecycle import Status

JsonOption = Annotated[bool, typer.Option("--json", help="Print stable JSON for scripts.")]
StatusFilter = Annotated[
    list[Status] | None,
    typer.Option("--status", help="Only orders in this status (repeatable).", show_default=False),
]
