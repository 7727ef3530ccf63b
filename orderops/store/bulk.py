"""Bulk inserts: the fastest safe way each engine offers, for receiving large files.

Two costs dominate a Core `insert()` executemany of many small rows on
SQLite: asking for the new ids with RETURNING (SQLAlchemy then sends one
statement per row), and SQLAlchemy's per-value parameter handling. So on
SQLite the rows are turned into tuples here, each value through its column
type's own bind processor (the same conversion SQLAlchemy would apply), and
handed to the driver's executemany; and the new order ids are assigned here:
a receiving transaction starts with BEGIN IMMEDIATE, so no other connection
can insert until it ends, and the next ids are the ones after the largest,
exactly as SQLite itself would choose them. PostgreSQL gets a batched
INSERT ... RETURNING through Core, which is fast there.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

from orderops.store.tables import ORDERS


def insert_orders(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` into orders (in a write transaction); their new ids, in order."""
    if not rows:
        return []
    if connection.dialect.name == "sqlite":
        first = (connection.execute(select(func.max(ORDERS.c.id))).scalar() or 0) + 1
        ids = list(range(first, first + len(rows)))
        for order_id, row in zip(ids, rows, strict=True):
            row["id"] = order_id
        insert_rows(connection, ORDERS, rows)
        return ids
    statement = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(names):
        # The dialect's own type (SQLite's DATETIME writes "2026-11-20 13:03:00.000000"),
        # so that these rows read and compare like rows written through Core.
        bind = (
            table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
        )
        if bind is not None:
            convert.append((position, _remember_last(bind)))
    pick = itemgetter(*names)
    if convert:
        values = []
        for row in rows:
            cells = list(pick(row))
            for position, process in convert:
                cells[position] = process(cells[position])
            values.append(tuple(cells))
    else:
        values = [pick(row) for row in rows]
    columns = ", ".join(names)
    marks = ", ".join("?" * len(names))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", values)


def _remember_last(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, skipped when the value is the one just seen (received_at is on every row)."""
    last: list[Any] = [object(), None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return remembered
