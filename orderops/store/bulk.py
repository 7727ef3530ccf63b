"""Bulk inserts: the fastest safe way each engine offers, for receiving large files.

Two costs dominate a Core `insert()` executemany of many small rows on
SQLite: asking for the new ids with RETURNING (SQLAlchemy then sends one
statement per row), and SQLAlchemy's per-value parameter handling. So on
SQLite values come column by column, each column goes through its dialect
type processor (the same conversion Core applies, so the rows read and
compare like any other; UTCDateTime's two steps done as one), the columns are
zipped into rows and the driver's executemany takes them; the new orders' ids
are then read back by their order numbers. PostgreSQL gets a batched INSERT
... RETURNING through Core, which is fast there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from itertools import repeat
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Date, Table, insert

from orderops.store.driver import rows_in
from orderops.store.tables import ORDERS
from orderops.store.types import UTCDateTime

Row = tuple[Any, ...]


# Values by column name, every column as long as the others.
Columns = Mapping[str, Iterable[Any]]


def insert_orders(
    connection: Connection, columns: Columns, count: int, same: Mapping[str, Any]
) -> list[int]:
    """Insert `count` orders given column by column, with the values `same` for
    every one; the ids the database gave them, in order.

    `columns["order_number"]` must be a sequence (it finds the new ids).
    """
    if not count:
        return []
    if connection.dialect.name == "sqlite":
        _sqlite_insert(connection, ORDERS, columns, count, same)
        # sqlite3's executemany gives no ids back: read them by order number.
        numbers = columns["order_number"]
        assert isinstance(numbers, Sequence)
        sql = "SELECT order_number, id FROM orders WHERE order_number IN ({values})"
        ids = dict(rows_in(connection, sql, numbers))
        return [ids[number] for number in numbers]
    statement = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, as_dicts(columns, count, same)).scalars())


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[Row]
) -> None:
    """Insert `rows` (values in `columns` order) into `table`."""
    if rows:
        by_column = dict(zip(columns, zip(*rows, strict=True), strict=True))
        insert_columns(connection, table, by_column, len(rows))


def insert_columns(
    connection: Connection,
    table: Table,
    columns: Columns,
    count: int,
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert `count` rows given column by column into `table`, with the values
    `same` in every row."""
    if not count:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), as_dicts(columns, count, same or {}))
        return
    _sqlite_insert(connection, table, columns, count, same or {})


def as_dicts(columns: Columns, count: int, same: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of `columns` (and the values `same` in every one) as dicts."""
    names = [*columns, *same]
    values = [*columns.values(), *(repeat(value, count) for value in same.values())]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _sqlite_insert(
    connection: Connection, table: Table, columns: Columns, count: int, same: Mapping[str, Any]
) -> None:
    """The driver's executemany of the rows of `columns`, each value through its
    column's processor (one C-level map per column that needs it; once for `same`)."""
    names, values = [], []
    for name, column in columns.items():
        names.append(name)
        if isinstance(table.c[name].type, UTCDateTime):
            values.append(_sqlite_utc_texts(column))
            continue
        process = _processor(connection, table.c[name].type)
        values.append(column if process is None else map(process, column))
    for name, value in same.items():
        process = _processor(connection, table.c[name].type)
        names.append(name)
        values.append(repeat(value if process is None else process(value), count))
    marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
    rows = list(zip(*values, strict=True)) if values else [()] * count
    connection.exec_driver_sql(sql, rows)


def _processor(connection: Connection, column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_utc_text
    dialect = connection.dialect
    bind: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(dialect)
    if bind is None:
        return None
    if isinstance(column_type, Date):
        return lru_cache(maxsize=1024)(bind)  # a day's orders share a few ship-by dates
    return bind


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """What UTCDateTime and SQLAlchemy's SQLite DATETIME make of `value`, in one step
    (a test keeps the two equal): the naive UTC time, to the microsecond."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # Formatting the parts ourselves costs a third of isoformat() (once per order).
    return _UTC_TEXT % _UTC_PARTS(value)


def _sqlite_utc_texts(column: Iterable[datetime | None]) -> Iterable[str | None]:
    """`_sqlite_utc_text` of each value; with no Python call per value when every one
    is a UTC datetime, as a batch's placed_at are."""
    values = list(column)
    try:
        utc_only = set(map(_TZINFO, values)) == {UTC}
    except AttributeError:  # a None among them
        utc_only = False
    if utc_only:
        return map(_UTC_TEXT.__mod__, map(_UTC_PARTS, values))
    return map(_sqlite_utc_text, values)


_UTC_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
_UTC_PARTS = attrgetter("year", "month", "day", "hour", "minute", "second", "microsecond")
_TZINFO = attrgetter("tzinfo")
