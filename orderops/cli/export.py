"""`orderops export`: data out in the formats orderops reads back."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from orderops.cli.state import state

app = typer.Typer(help="Export data as CSV or YAML.", no_args_is_help=True)


class StockFormat(StrEnum):
    CSV = "csv"
    YAML = "yaml"


@app.command("stock")
def stock_command(
    ctx: typer.Context,
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write; '-' is standard output.")
    ] = "-",
    format: Annotated[StockFormat, typer.Option("--format", help="csv or yaml.")] = (
        StockFormat.CSV
    ),
) -> None:
    """Export products and bin counts, as `stock import` reads them back."""
    from orderops.formats.stock_export import write_stock
    from orderops.services.stock import list_stock

    rows = list_stock(state(ctx).database())
    write_stock(rows, output, format.value)
