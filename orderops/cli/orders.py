"""Commands on orders: receive, track, list, hold, release, cancel, lifecycle."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orderops.cli.options import JsonOption, StatusFilter
from orderops.cli.output import console, local_time, print_json, print_table, say, shown, table
from orderops.cli.state import state
from orderops.errors import UsageProblem

if TYPE_CHECKING:
    from orderops.services.receiving import ReceiveSummary

QUICK = "Quick entry (one order from options instead of files)"


def _opt(help_text: str) -> typer.models.OptionInfo:
    return typer.Option(help=help_text, rich_help_panel=QUICK, show_default=False)


FilesArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Order files: generic CSV, YAML, Shopify or WooCommerce export; "
        "'-' reads standard input.",
        show_default=False,
        metavar="[FILE]...",
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="csv, yaml, shopify or woocommerce (default: told from the header).",
        show_default=False,
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check and report, write nothing.")]
UpdateOption = Annotated[
    bool,
    typer.Option(
        "--update", help="Apply changed content to orders not yet picked (an event each)."
    ),
]
SkipInvalidOption = Annotated[
    bool,
    typer.Option(
        "--skip-invalid", help="Receive the good orders; write the bad ones to --rejects."
    ),
]
RejectsOption = Annotated[
    str | None,
    typer.Option(
        "--rejects",
        help="With --skip-invalid: file for the refused rows, in the input's format.",
        show_default=False,
    ),
]
LineOption = Annotated[
    list[str] | None,
    typer.Option(
        "--line",
        help="An order line as SKU:QTY or SKU:QTY:UNIT_PRICE; repeat for more lines.",
        rich_help_panel=QUICK,
        show_default=False,
    ),
]


def receive(
    ctx: typer.Context,
    files: FilesArgument = None,
    format: FormatOption = None,
    dry_run: DryRunOption = False,
    update: UpdateOption = False,
    skip_invalid: SkipInvalidOption = False,
    rejects: RejectsOption = None,
    json_out: JsonOption = False,
    order_number: Annotated[str | None, _opt("Order number (required).")] = None,
    customer_name: Annotated[str | None, _opt("Customer's name (required).")] = None,
    address1: Annotated[str | None, _opt("Street address (required).")] = None,
    address2: Annotated[str | None, _opt("Second address line.")] = None,
    city: Annotated[str | None, _opt("City (required).")] = None,
    region: Annotated[str | None, _opt("State, county or region.")] = None,
    postal_code: Annotated[str | None, _opt("Postal code.")] = None,
    country: Annotated[str | None, _opt("ISO 3166-1 alpha-2 code, e.g. GB (required).")] = None,
    email: Annotated[str | None, _opt("Customer's e-mail.")] = None,
    phone: Annotated[str | None, _opt("Customer's phone.")] = None,
    placed_at: Annotated[str | None, _opt("ISO 8601 time (default: now).")] = None,
    ship_by: Annotated[str | None, _opt("ISO 8601 date to ship by.")] = None,
    priority: Annotated[str | None, _opt("Whole number; higher goes first.")] = None,
    channel: Annotated[str | None, _opt("Sales channel, e.g. web.")] = None,
    shipping_method: Annotated[str | None, _opt("e.g. standard, express.")] = None,
    currency: Annotated[str | None, _opt("ISO 4217 code (default USD).")] = None,
    note: Annotated[str | None, _opt("Free text.")] = None,
    line: LineOption = None,
) -> None:
    """Receive orders from files (or stdin), or one order from options."""
    quick = {
        "order_number": order_number, "customer_name": customer_name, "address1": address1,
        "address2": address2, "city": city, "region": region, "postal_code": postal_code,
        "country": country, "email": email, "phone": phone, "placed_at": placed_at,
        "ship_by": ship_by, "priority": priority, "channel": channel,
        "shipping_method": shipping_method, "currency": currency, "note": note,
    }  # fmt: skip
    given = {name: value for name, value in quick.items() if value is not None}
    lines = line or []
    _check_receive_options(files or [], bool(given or lines), skip_invalid, rejects)
    if files:
        summary = _receive_files(
            ctx, files, format, dry_run=dry_run, update=update, skip_invalid=skip_invalid,
            rejects=rejects, json_out=json_out,
        )  # fmt: skip
    elif given or lines:
        summary = _receive_quick_entry(ctx, given, lines, dry_run=dry_run, update=update)
    else:
        raise UsageProblem(
            "nothing to receive: give order files, '-' for stdin, or --order-number ..."
        )
    if json_out:
        print_json(summary.as_json())
    else:
        _print_receive_summary(summary, rejects)
    if summary.rejects_not_written:
        from orderops.errors import OutputLost

        raise OutputLost(summary.rejects_not_written)


def _check_receive_options(
    files: list[str], quick_entry: bool, skip_invalid: bool, rejects: str | None
) -> None:
    """Refuse combinations of options that cannot mean anything (exit 2)."""
    if files and quick_entry:
        raise UsageProblem("give order files or order options, not both")
    if files.count("-") > 1:
        raise UsageProblem("standard input ('-') can be read only once")
    if skip_invalid and not rejects:
        raise UsageProblem("--skip-invalid needs --rejects FILE for the refused rows")
    if rejects and not skip_invalid:
        raise UsageProblem("--rejects goes with --skip-invalid")
    if rejects and files and _same_file(rejects, files):
        raise UsageProblem("--rejects must not be one of the input files")


def _receive_files(
    ctx: typer.Context,
    files: list[str],
    format: str | None,
    *,
    dry_run: bool,
    update: bool,
    skip_invalid: bool,
    rejects: str | None,
    json_out: bool,
) -> ReceiveSummary:
    from orderops.services.intake import receive_order_files

    app_state = state(ctx)
    with _progress(files) as on_progress:
        return receive_order_files(
            app_state.database, files, app_state.who(), format=format, dry_run=dry_run,
            update=update, skip_invalid=skip_invalid, rejects=rejects, all_numbers=json_out,
            on_progress=on_progress,
        )  # fmt: skip


def _receive_quick_entry(
    ctx: typer.Context, fields: dict[str, str], lines: list[str], *, dry_run: bool, update: bool
) -> ReceiveSummary:
    from orderops.services.intake import receive_quick_entry

    order_lines = [_parse_line_option(text) for text in lines]
    app_state = state(ctx)
    return receive_quick_entry(
        app_state.database, fields, order_lines, app_state.who(), dry_run=dry_run, update=update
    )


def _print_receive_summary(summary: ReceiveSummary, rejects: str | None) -> None:
    for problem in summary.rejected_problems[:20]:
        say(f"refused: {problem}", err=True)
    if summary.rejected > 20 and len(summary.rejected_problems) >= 20:
        say("refused: ... (more in the rejects file)", err=True)
    verb = "would receive" if summary.dry_run else "received"
    text = f"{verb} {_count(summary.received, 'order')} ({_count(summary.lines, 'line')})"
    say(text + _changed_part(summary) + _refused_part(summary, rejects))


def _changed_part(summary: ReceiveSummary) -> str:
    """The orders updated and skipped, e.g. `, updated 2 (1001, 1002), skipped 1 already
    received (1003)`; empty if none were."""
    text = ""
    if summary.updated:
        text += f", {'would update' if summary.dry_run else 'updated'} {summary.updated:,}"
        text += _few(summary.updated_numbers, summary.updated)
    if summary.skipped:
        text += f", skipped {summary.skipped:,} already received"
        text += _few(summary.skipped_numbers, summary.skipped)
    return text


def _refused_part(summary: ReceiveSummary, rejects: str | None) -> str:
    if not summary.rejected:
        return ""
    where = "" if summary.dry_run else f", written to {rejects}"
    if summary.rejects_not_written:
        where = f", not written to {rejects}"
    orders = _count(summary.rejected, "invalid order")
    return f", refused {orders} ({_count(summary.rejected_rows, 'row')}{where})"


def _few(numbers: list[str], count: int) -> str:
    """The order numbers in brackets, when there are few enough to read."""
    return f" ({', '.join(numbers)})" if count <= 5 else ""


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'s' if number != 1 else ''}"


_PROGRESS_ROWS = 5000


@contextmanager
def _progress(files: list[str]):  # type: ignore[no-untyped-def]
    """A Rich progress bar on stderr for a large input, when stderr is a terminal."""
    import sys

    total = _count_rows(files) if sys.stderr.isatty() else 0
    if total < _PROGRESS_ROWS:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("receiving", total=total)
        yield lambda rows: bar.advance(task, rows)


def _count_rows(files: list[str]) -> int:
    """Rows in the input files, roughly (newlines), to size the progress bar."""
    import os

    total = 0
    for path in files:
        if path == "-" or not os.path.isfile(path):
            continue
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                total += chunk.count(b"\n")
    return total


def _same_file(path: str, others: list[str]) -> bool:
    from pathlib import Path

    target = Path(path).resolve()
    return any(other != "-" and Path(other).resolve() == target for other in others)


def _parse_line_option(text: str) -> dict[str, str]:
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and not _looks_numeric(parts[1]):
        parts = [f"{parts[0]}:{parts[1]}", parts[2]]
    if len(parts) < 2:
        raise UsageProblem(f"--line {text!r}: write SKU:QTY or SKU:QTY:UNIT_PRICE")
    fields = {"sku": parts[0], "qty": parts[1]}
    if len(parts) == 3:
        fields["unit_price"] = parts[2]
    return fields


def _looks_numeric(text: str) -> bool:
    return text.strip().lstrip("+-").isdigit()


def track(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Order number or customer e-mail.")],
    json_out: JsonOption = False,
) -> None:
    """Show one order and its timeline."""
    from orderops.services.orders import track_order

    view = track_order(state(ctx).database(write=False), key)
    if json_out:
        print_json(view)
        return
    _print_order_head(view)
    _print_order_lines(view)
    _print_timeline(view)
    if view["other_orders"]:
        say(f"other orders for {view['email']}: {', '.join(view['other_orders'])}")


def _print_order_head(view: dict[str, Any]) -> None:
    """Number, status and hold; customer and address; dates and how it ships; note."""
    from rich.text import Text

    heading = Text.assemble((f"Order {shown(view['order_number'])}", "bold"), f"  {view['status']}")
    console().print(heading)
    if view["hold_reason"]:
        until = f" until {local_time(view['hold_until'])}" if view["hold_until"] else ""
        say(f"on hold: {view['hold_reason']}{until}")
    address = ", ".join(
        part
        for part in (
            view["address1"], view["address2"], view["city"], view["region"],
            view["postal_code"], view["country"],
        )
        if part
    )  # fmt: skip
    contact = "  ".join(part for part in (view["email"], view["phone"]) if part)
    say(f"{view['customer_name']}  {contact}".rstrip())
    say(address)
    say(", ".join(_order_facts(view)))
    if view["note"]:
        # A note may span lines; each is shown on its own, everything else escaped.
        first, *more = view["note"].replace("\r\n", "\n").split("\n")
        say(f"note: {first}")
        for line in more:
            say(f"      {line}")


def _order_facts(view: dict[str, Any]) -> list[str]:
    facts = [f"placed {local_time(view['placed_at'])}"]
    if view["ship_by"]:
        facts.append(f"ship by {view['ship_by']}")
    for name in ("shipping_method", "channel"):
        if view[name]:
            facts.append(f"{name.replace('_', ' ')}: {view[name]}")
    if view["priority"]:
        facts.append(f"priority {view['priority']}")
    return facts


def _print_order_lines(view: dict[str, Any]) -> None:
    lines = table(
        "sku", "name", "qty", f"unit price ({view['currency']})",
        identifiers=("sku",), free_text=("name",),
    )  # fmt: skip
    for item in view["lines"]:
        lines.add_row(item["sku"], item["name"], str(item["qty"]), item["unit_price"] or "")
    print_table(lines)


def _print_timeline(view: dict[str, Any]) -> None:
    events = table(
        "when", "action", "from", "to", "who", "detail",
        title="Timeline", free_text=("who", "detail"),
    )  # fmt: skip
    for event in view["events"]:
        detail = ", ".join(f"{k}: {v}" for k, v in event["detail"].items())
        events.add_row(
            local_time(event["at"]), event["action"], event["from"] or "", event["to"],
            event["actor"], detail,
        )  # fmt: skip
    print_table(events)


def list_command(
    ctx: typer.Context,
    status: StatusFilter = None,
    json_out: JsonOption = False,
) -> None:
    """List orders, oldest first."""
    from orderops.services.orders import list_orders

    rows = list_orders(state(ctx).database(write=False), status or [])
    if json_out:
        print_json(rows)
        return
    grid = table(
        "order", "status", "customer", "placed", "ship by", "lines",
        identifiers=("order",), free_text=("customer",),
    )  # fmt: skip
    for row in rows:
        grid.add_row(
            row["order_number"], row["status"], row["customer_name"],
            local_time(row["placed_at"]), str(row["ship_by"] or ""), str(row["line_count"]),
        )  # fmt: skip
    print_table(grid)
    say(f"{len(rows)} order{'s' if len(rows) != 1 else ''}")


def hold(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="Order number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is held (required).")],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Hold until this date or time (ISO 8601; without an offset, local time); "
            "`process` releases holds whose time has passed.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Put an order on hold (from received, ready or backordered)."""
    from orderops.services.moments import parse_moment
    from orderops.services.orders import hold_order

    if not reason.strip():
        raise UsageProblem("--reason must not be empty")
    moment = None if until is None else parse_moment(until, option="--until")
    app_state = state(ctx)
    result = hold_order(app_state.database(), order, reason.strip(), moment, app_state.who())
    _print_change(result, json_out)


def release(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="Order number.")],
    json_out: JsonOption = False,
) -> None:
    """Release a held order back to the status it was held from."""
    from orderops.services.orders import release_order

    app_state = state(ctx)
    _print_change(release_order(app_state.database(), order, app_state.who()), json_out)


def cancel(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="Order number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled (required).")],
    json_out: JsonOption = False,
) -> None:
    """Cancel an order that has not shipped."""
    from orderops.services.orders import cancel_order

    if not reason.strip():
        raise UsageProblem("--reason must not be empty")
    app_state = state(ctx)
    result = cancel_order(app_state.database(), order, reason.strip(), app_state.who())
    _print_change(result, json_out)


def _print_change(result: dict[str, object], json_out: bool) -> None:
    if json_out:
        print_json(result)
    else:
        say(f"order {result['order_number']}: {result['from']} -> {result['to']}")


def lifecycle(json_out: JsonOption = False) -> None:
    """Print the order lifecycle: every action, where it starts, where it leads."""
    from orderops import lifecycle as machine

    if json_out:
        print_json([{"action": a, "from": f, "to": t} for a, f, t in machine.describe()])
    else:
        print(machine.render_table(), end="")


def register(app: typer.Typer) -> None:
    app.command()(receive)
    app.command()(track)
    app.command("list")(list_command)
    app.command()(hold)
    app.command()(release)
    app.command()(cancel)
    app.command()(lifecycle)
