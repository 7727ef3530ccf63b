"""What comes in from outside: order files, an order typed as options, stock files.

Each function reads and checks its input, then hands it to receiving or to
stock. The database is given as a function that opens it, called only once
the input has been found: a mistyped file name is reported without creating
an empty database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress

from orderops.errors import OutputLost, UsageProblem
from orderops.formats.order_files import Rejects, build_orders, read_orders
from orderops.formats.records import RawLine, RawOrder
from orderops.formats.stock_files import read_stock_files
from orderops.services.receiving import ReceiveOptions, ReceiveSummary, receive, receive_orders
from orderops.services.stock import ImportSummary, import_stock
from orderops.store.database import Database

OpenDatabase = Callable[[], Database]

# Where an order typed as options says it came from, in messages.
QUICK_ENTRY_SOURCE = "command line"


def receive_order_files(
    open_db: OpenDatabase,
    files: Sequence[str],
    actor: str,
    *,
    format: str | None = None,
    dry_run: bool = False,
    update: bool = False,
    skip_invalid: bool = False,
    rejects: str | None = None,
    all_numbers: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ReceiveSummary:
    """Receive every order in `files` ('-' is standard input), all in one transaction.

    `format` is csv, yaml, shopify or woocommerce (default: told from each
    header). With skip_invalid the bad orders are written to the file
    `rejects`, in their input's format; the file appears only if the run
    succeeds, and not on a dry run. `all_numbers` lists every order number
    in the summary, not just a few.
    """
    sink = Rejects(rejects) if rejects and not dry_run else None
    options = ReceiveOptions(
        dry_run=dry_run,
        update=update,
        skip_invalid=skip_invalid,
        rejects=sink,
        on_progress=on_progress,
        all_numbers=all_numbers,
    )
    try:
        reads = read_orders(files, format.lower() if format else None)
        summary = receive(open_db(), reads, actor, options)
    except BaseException:
        if sink is not None:
            sink.discard()
        raise
    if sink is not None:
        try:
            sink.keep()
        except (OutputLost, UsageProblem, OSError) as exc:
            # The orders are committed: losing the rejects file is lost output, not a
            # failed run (the CLI says so after the summary).
            with suppress(OSError):
                sink.discard()
            summary.rejects_not_written = (
                str(exc)
                if isinstance(exc, OutputLost)
                else f"the rejects file {rejects} could not be written: {exc}"
            )
    return summary


def receive_quick_entry(
    open_db: OpenDatabase,
    fields: Mapping[str, str],
    lines: Sequence[Mapping[str, str]],
    actor: str,
    *,
    dry_run: bool = False,
    update: bool = False,
) -> ReceiveSummary:
    """Receive one order given field by field (order_number, customer_name, ...),
    with its lines (sku, qty and unit_price each); InvalidInput if it is bad."""
    raw = RawOrder(QUICK_ENTRY_SOURCE, 0, dict(fields))
    raw.lines = [RawLine(0, dict(line)) for line in lines]
    records = build_orders([raw])
    return receive_orders(open_db(), records, actor, dry_run=dry_run, update=update)


def import_stock_files(open_db: OpenDatabase, files: Sequence[str], actor: str) -> ImportSummary:
    """Set products and bin counts from stock files (CSV or YAML; '-' is standard
    input): all or nothing, and nothing if any row is bad (InvalidInput)."""
    records = read_stock_files(files)
    return import_stock(open_db(), records, actor)
