"""`orderops stock`: products and bins, their levels, deliveries and counts."""

from __future__ import annotations

from typing import Annotated

import typer

from orderops.cli.options import JsonOption
from orderops.cli.output import local_time, print_json, print_table, say, table
from orderops.cli.state import state

app = typer.Typer(help="Products, bins and stock levels.", no_args_is_help=True)

LocationOption = Annotated[
    str | None,
    typer.Option(
        "--location",
        "-l",
        help="Bin code such as A-03-2 (default: the SKU's only bin, else MAIN).",
        show_default=False,
    ),
]


@app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[
        list[str],
        typer.Argument(help="Stock files (CSV or YAML); '-' reads standard input."),
    ],
    json_out: JsonOption = False,
) -> None:
    """Set products and bin counts from CSV or YAML files (all or nothing)."""
    from orderops.services.intake import import_stock_files

    app_state = state(ctx)
    summary = import_stock_files(app_state.database, files, app_state.who())
    if json_out:
        print_json(summary.as_json())
        return
    say(
        f"products: {summary.products_added} added, {summary.products_updated} updated; "
        f"bins: {summary.bins_added} added, {summary.bins_changed} changed, "
        f"{summary.bins_unchanged} unchanged"
    )


def _change(ctx: typer.Context, sku: str, qty: int, location: str | None, reason: str,
            relative: bool, json_out: bool, ref: str = "") -> None:  # fmt: skip
    from orderops.services.stock import change_stock

    app_state = state(ctx)
    result = change_stock(
        app_state.database(), sku, qty, location=location, actor=app_state.who(),
        reason=reason, relative=relative, ref=ref,
    )  # fmt: skip
    if json_out:
        print_json(result)
        return
    if result["already_recorded"]:
        say(
            f"{result['sku']} in {result['location']}: delivery {result['ref']} was already "
            f"recorded on {local_time(result['recorded_at'])} by {result['recorded_by']}; "
            f"nothing added; on hand {result['on_hand']}, allocated {result['allocated']}, "
            f"available {result['available']}"
        )
        return
    say(
        f"{result['sku']} in {result['location']}: {result['delta']:+d}; on hand "
        f"{result['on_hand']}, allocated {result['allocated']}, available {result['available']}"
    )


@app.command("set")
def set_command(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The product's SKU.")],
    qty: Annotated[int, typer.Argument(help="Units counted on hand in the bin.", min=0)],
    location: LocationOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "count",
    json_out: JsonOption = False,
) -> None:
    """Set the units on hand in a bin (a stock count)."""
    _change(ctx, sku, qty, location, reason, relative=False, json_out=json_out)


@app.command("add", context_settings={"ignore_unknown_options": True})
def add_command(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The product's SKU.")],
    qty: Annotated[int, typer.Argument(help="Units delivered; negative corrects a count.")],
    location: LocationOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    ref: Annotated[
        str,
        typer.Option(
            "--ref",
            help="Delivery note number: the same delivery (ref, SKU, bin) is added once.",
            show_default=False,
        ),
    ] = "",
    json_out: JsonOption = False,
) -> None:
    """Add delivered units to a bin, or take some off (stock add SKU -3)."""
    default = "delivery" if qty > 0 else "correction"
    _change(ctx, sku, qty, location, reason.strip() or default, relative=True,
            json_out=json_out, ref=ref)  # fmt: skip


@app.command("list")
def list_command(
    ctx: typer.Context,
    low: Annotated[
        bool, typer.Option("--low", help="Only SKUs at or below their reorder point.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Stock per SKU and bin: on hand, allocated, available."""
    from orderops.services.stock import list_stock

    rows = list_stock(state(ctx).database(write=False), low=low)
    if json_out:
        keys = ("sku", "name", "location", "on_hand", "allocated", "available", "reorder_point")
        print_json([{key: row[key] for key in keys} for row in rows])
        return
    grid = table(
        "sku", "name", "location", "on hand", "allocated", "available", "reorder at",
        identifiers=("sku", "location"), free_text=("name",),
    )  # fmt: skip
    for row in rows:
        grid.add_row(
            row["sku"], row["name"], row["location"], str(row["on_hand"]),
            str(row["allocated"]), str(row["available"]), str(row["reorder_point"]),
        )  # fmt: skip
    print_table(grid)
    say(f"{len(rows)} bin{'s' if len(rows) != 1 else ''}")
