"""`orderops process`: verify and allocate received and backordered orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from orderops.cli.options import JsonOption
from orderops.cli.output import print_json, say
from orderops.cli.state import state

if TYPE_CHECKING:
    from orderops.services.processing import ProcessSummary

SHOWN = 20


def process(
    ctx: typer.Context,
    orders: Annotated[
        list[str] | None,
        typer.Argument(
            help="Order numbers (default: every received and backordered order).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Verify orders and allocate stock: each becomes ready, backordered or on hold.

    Highest priority first, then earliest ship-by, then earliest placed. Holds
    whose until-date has passed are released first.
    """
    from orderops.errors import PartlyDone
    from orderops.services.processing import process_orders

    app_state = state(ctx)
    try:
        summary = process_orders(app_state.database(), orders or [], app_state.who())
    except PartlyDone as partly:
        # What was committed goes to stdout as ever; the error (exit 7) says the rest.
        _print(partly.result, json_out, error=str(partly))
        raise
    _print(summary, json_out)


def _print(summary: ProcessSummary, json_out: bool, error: str | None = None) -> None:
    if json_out:
        print_json(summary.as_json() | ({"error": error} if error else {}))
    else:
        _print_process_summary(summary)


def _print_process_summary(summary: ProcessSummary) -> None:
    if summary.released:
        say(f"released {len(summary.released)} hold(s) whose date had passed")
    counts = summary.counts()
    processed = len(summary.outcomes) - counts["skipped"]
    say(
        f"processed {processed} order{'s' if processed != 1 else ''}: "
        f"{counts['ready']} ready, {counts['backordered']} backordered, {counts['held']} held"
    )
    held = [o for o in summary.outcomes if o.outcome == "held"]
    for outcome in held[:SHOWN]:
        say(f"  held {outcome.order_number}: {outcome.reason}")
    if len(held) > SHOWN:
        say(f"  ... and {len(held) - SHOWN} more held (see --json)")
    for outcome in (o for o in summary.outcomes if o.outcome == "skipped"):
        say(f"  skipped {outcome.order_number}: {outcome.reason}")
