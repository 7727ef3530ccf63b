"""`orderops export`: orders and stock in the formats `receive` and `stock import` read back."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from orderops.cli.options import StatusFilter
from orderops.cli.state import state
from orderops.errors import UsageProblem

app = typer.Typer(help="Export orders and stock as CSV or YAML.", no_args_is_help=True)


@app.command()
def orders(
    ctx: typer.Context,
    status: StatusFilter = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Placed at or after this date or time (ISO 8601).", show_default=False
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Placed before this time, or on or before this date.",
            show_default=False,
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="csv or yaml.")] = "csv",
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="Write to this file, replaced whole when done; a device or FIFO is "
            "written in place (default: standard output).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export orders, oldest placed first, in the format `orderops receive` reads."""
    from orderops.services.exporting import EXPORT_FORMATS, export_orders
    from orderops.services.moments import parse_bound

    format = format.lower()
    if format not in EXPORT_FORMATS:
        raise UsageProblem(f"--format must be csv or yaml, not {format!r}")
    start = parse_bound(since, option="--since", end_of_day=False)
    end = parse_bound(until, option="--until", end_of_day=True)
    app_state = state(ctx)
    export_orders(
        lambda: app_state.database(write=False),
        "-" if output is None else output,
        format,
        status or [],
        start,
        end,
    )


class StockFormat(StrEnum):
    CSV = "csv"
    YAML = "yaml"


@app.command("stock")
def stock_command(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="File to write, replaced whole when done; '-' is standard output.",
        ),
    ] = "-",
    format: Annotated[StockFormat, typer.Option("--format", help="csv or yaml.")] = (
        StockFormat.CSV
    ),
) -> None:
    """Export products and bin counts, as `stock import` reads them back."""
    from orderops.services.exporting import export_stock

    app_state = state(ctx)
    export_stock(lambda: app_state.database(write=False), output, format.value)
