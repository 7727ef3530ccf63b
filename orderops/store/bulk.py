"""Bulk inserts: the fastest safe way each engine offers, for receiving large files.

Two costs dominate a Core `insert()` executemany of many small rows on
SQLite: asking for the new ids with RETURNING (SQLAlchemy then sends one
statement per row), and SQLAlchemy's per-value parameter handling. So on
SQLite rows come as tuples in a known column order, each value goes through
its column's dialect type processor (the same conversion Core applies, so
the rows read and compare like any other), and the driver's executemany
takes them; and the new order ids are assigned here: a receiving
transaction starts with BEGIN IMMEDIATE, so no other connection can insert
until it ends, and the next ids are the ones after the largest, exactly as
SQLite itself would choose them. PostgreSQL gets a batched INSERT ...
RETURNING through Core, which is fast there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

from orderops.store.tables import ORDERS

Row = tuple[Any, ...]


def insert_orders(connection: Connection, columns: Sequence[str], rows: list[Row]) -> list[int]:
    """Insert `rows` (values in `columns` order) into orders; their new ids, in order.

    Only in a write transaction (on SQLite, one begun with BEGIN IMMEDIATE).
    """
    if not rows:
        return []
    if connection.dialect.name == "sqlite":
        first = (connection.execute(select(func.max(ORDERS.c.id))).scalar() or 0) + 1
        ids = list(range(first, first + len(rows)))
        numbered = [(order_id, *row) for order_id, row in zip(ids, rows, strict=True)]
        insert_rows(connection, ORDERS, ("id", *columns), numbered)
        return ids
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
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(columns):
        bind = (
            table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
        )
        if bind is not None:
            convert.append((position, _remember_last(bind)))
    if convert:
        converted = []
        for row in rows:
            cells = list(row)
            for position, process in convert:
                cells[position] = process(cells[position])
            converted.append(tuple(cells))
        rows = converted
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    connection.exec_driver_sql(sql, rows)


def _remember_last(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, skipped when the value is the one just seen (received_at is on every row)."""
    last: list[Any] = [object(), None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return remembered
