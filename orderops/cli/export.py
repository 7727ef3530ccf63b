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
            help="Write to this file (default: standard output).",
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
    database = state(ctx).database(write=False)
    with _output(output) as out:
        export_orders(database, out, format, status or [], start, end)


class _output:
    """Standard output, or a file that appears whole only when the export succeeded."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.temp = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        import io
        import sys

        if self.path is None or self.path == "-":
            self.stream = io.TextIOWrapper(
                sys.stdout.buffer, encoding="utf-8", newline="", write_through=True
            )
            return self.stream
        import tempfile
        from pathlib import Path

        target = Path(self.path)
        if not target.resolve().parent.is_dir():
            raise UsageProblem(f"-o: no such folder: {target.resolve().parent}")
        handle, temp = tempfile.mkstemp(dir=target.resolve().parent, prefix=".export-")
        self.temp = Path(temp)
        self.stream = open(handle, "w", encoding="utf-8", newline="")  # noqa: SIM115
        return self.stream

    def __exit__(self, kind, value, traceback) -> None:  # type: ignore[no-untyped-def]
        if self.temp is None:
            self.stream.flush()
            self.stream.detach()
            return
        self.stream.close()
        if kind is None:
            self.temp.replace(self.path)
        else:
            self.temp.unlink(missing_ok=True)


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
    from orderops.services.exporting import export_stock

    database = state(ctx).database(write=False)
    with _output(output) as out:
        export_stock(database, out, format.value)
