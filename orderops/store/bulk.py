"""Bulk inserts: the fastest safe way each engine offers, for receiving large files.

Two costs dominate a Core `insert()` executemany of many small rows on
SQLite: asking for the new ids with RETURNING (SQLAlchemy then sends one
statement per row), and SQLAlchemy's per-value parameter handling. So on
SQLite rows come as tuples in a known column order, each value goes through
its column's dialect type processor (the same conversion Core applies, so
the rows read and compare like any other; UTCDateTime's two steps done as
one), and the driver's executemany
takes them; and the new order ids are assigned here: a receiving
transaction starts with BEGIN IMMEDIATE, so no other connection can insert
until it ends, and the next ids are the ones after the largest, exactly as
SQLite itself would choose them. PostgreSQL gets a batched INSERT ...
RETURNING through Core, which is fast there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

from orderops.store.tables import ORDERS
from orderops.store.types import UTCDateTime

Row = tuple[Any, ...]


def insert_orders(connection: Connection, columns: Sequence[str], rows: list[Row]) -> list[int]:
    """Insert `rows` (values in `columns` order) into orders; their new ids, in order.

    Only in a write transaction (on SQLite, one begun with BEGIN IMMEDIATE).
    """
    if not rows:
        return []
    if connection.dialect.name == "sqlite":
        first = (connection.execute(select(func.max(ORDERS.c.id))).scalar() or 0) + 1
        ids = range(first, first + len(rows))
        _sqlite_insert(connection, ORDERS, columns, rows, ids)
        return list(ids)
    statement = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
    return list(
        connection.execute(statement, [dict(zip(columns, r, strict=True)) for r in rows]).scalars()
    )


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[Row]
) -> None:
    """Insert `rows` (values in `columns` order) into `table`."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    _sqlite_insert(connection, table, columns, rows, None)


def _sqlite_insert(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: list[Row],
    ids: range | None,
) -> None:
    """The driver's executemany of `rows`, each value through its column's processor,
    and `ids` (if given) as the first column, `id`."""
    # Converted column by column: one C-level map per column that needs it,
    # and rows taken apart and put together again by zip, not value by value.
    values: list[Iterable[Any]] = list(zip(*rows, strict=True))
    for position, name in enumerate(columns):
        process = _processor(connection, table.c[name].type)
        if process is not None:
            values[position] = map(process, values[position])
    if ids is not None:
        columns = ("id", *columns)
        values.insert(0, ids)
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    connection.exec_driver_sql(sql, list(zip(*values, strict=True)))


def _processor(connection: Connection, column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime):
        return _remember_last(_sqlite_utc_text)
    dialect = connection.dialect
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)
    return None if bind is None else _remember_last(bind)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """What UTCDateTime and SQLAlchemy's SQLite DATETIME make of `value`, in one step
    (a test keeps the two equal): the naive UTC time, to the microsecond."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _remember_last(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, skipped when the value is the one just seen (received_at is on every row)."""
    last: list[Any] = [object(), None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return remembered
