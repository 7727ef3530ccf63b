"""Export orders in the generic formats, which `receive` reads back without loss."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Row

from orderops.domain.money import from_minor
from orderops.domain.orders import ORDER_FIELDS, LineRecord, OrderRecord
from orderops.formats.csv_orders import write_generic_csv
from orderops.formats.output_file import STDOUT, OutputFile
from orderops.formats.records import currency_exponent
from orderops.formats.yaml_orders import write_yaml_orders
from orderops.lifecycle import Status
from orderops.store.database import Database
from orderops.store.orders import export_rows

EXPORT_FORMATS = ("csv", "yaml")


OpenDatabase = Callable[[], Database]


def export_orders(
    open_db: OpenDatabase,
    output: str = STDOUT,
    format: str = "csv",
    statuses: Sequence[Status] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write the chosen orders to the file `output` ('-': standard output), oldest
    placed first; how many were written.

    `since` is inclusive and `until` exclusive, both on placed_at (UTC).
    The rows are streamed, so an export of any size runs in flat memory. The
    output path is checked before the database is opened; the file appears
    whole or not at all (see `formats.output_file`).
    """
    target = OutputFile(output)
    db = open_db()
    with target as out:
        return write_orders(db, out, format, statuses, since, until)


def write_orders(
    db: Database,
    out: TextIO,
    format: str = "csv",
    statuses: Sequence[Status] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write the chosen orders to the stream `out` (see `export_orders`)."""
    write = write_yaml_orders if format == "yaml" else write_generic_csv
    chosen = [status.value for status in statuses]
    with db.transaction(write=False) as session:
        return write(out, _records(export_rows(session, chosen, since, until)))


def _records(rows: Any) -> Iterator[OrderRecord]:
    """Records from rows of orders joined with their lines (an order's rows together)."""
    current: Row[Any] | None = None
    lines: list[LineRecord] = []
    for row in rows:
        if current is not None and row.id != current.id:
            yield _record(current, lines)
            lines = []
        current = row
        exponent = currency_exponent(row.currency)
        price = None if row.unit_price_minor is None else from_minor(row.unit_price_minor, exponent)
        lines.append(LineRecord(row.sku, row.qty, row.line_name, price))
    if current is not None:
        yield _record(current, lines)


def _record(row: Row[Any], lines: list[LineRecord]) -> OrderRecord:
    values = {name: getattr(row, name) for name in ORDER_FIELDS}
    return OrderRecord(**values, lines=tuple(lines))


def export_stock(open_db: OpenDatabase, output: str = STDOUT, format: str = "csv") -> int:
    """Write products and bin counts to the file `output` ('-': standard output) as
    `stock import` reads them back (csv or yaml); how many bins were written."""
    from orderops.formats.stock_export import write_stock
    from orderops.services.stock import list_stock

    target = OutputFile(output)
    rows = list_stock(open_db())
    with target as out:
        write_stock(rows, out, format)
    return len(rows)
