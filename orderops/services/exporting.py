"""Export orders in the generic formats, which `receive` reads back without loss."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Row, select

from orderops.domain.money import from_minor
from orderops.domain.orders import ORDER_FIELDS, LineRecord, OrderRecord
from orderops.formats.csv_orders import write_generic_csv
from orderops.formats.records import currency_exponent
from orderops.formats.yaml_orders import write_yaml_orders
from orderops.lifecycle import Status
from orderops.store.database import Database
from orderops.store.tables import ORDER_LINES, ORDERS

EXPORT_FORMATS = ("csv", "yaml")
_STREAM_ROWS = 2000


def export_orders(
    db: Database,
    out: TextIO,
    format: str = "csv",
    statuses: Sequence[Status] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write the chosen orders to `out`, oldest placed first; how many were written.

    `since` is inclusive and `until` exclusive, both on placed_at (UTC).
    The rows are streamed, so an export of any size runs in flat memory.
    """
    query = (
        select(
            ORDERS.c.id,
            *(ORDERS.c[name] for name in ORDER_FIELDS),
            ORDER_LINES.c.sku,
            ORDER_LINES.c.name.label("line_name"),
            ORDER_LINES.c.qty,
            ORDER_LINES.c.unit_price_minor,
        )
        .join(ORDER_LINES, ORDER_LINES.c.order_id == ORDERS.c.id)
        .order_by(ORDERS.c.placed_at, ORDERS.c.id, ORDER_LINES.c.line_no)
    )
    if statuses:
        query = query.where(ORDERS.c.status.in_([s.value for s in statuses]))
    if since is not None:
        query = query.where(ORDERS.c.placed_at >= since)
    if until is not None:
        query = query.where(ORDERS.c.placed_at < until)
    write = write_yaml_orders if format == "yaml" else write_generic_csv
    with db.transaction(write=False) as session:
        rows = session.connection().execution_options(yield_per=_STREAM_ROWS).execute(query)
        return write(out, _records(rows))


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
