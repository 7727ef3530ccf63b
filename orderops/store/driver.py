"""Statements sent to the driver as written, for the hot statements of bulk work.

`process` runs a handful of statements per chunk, each over thousands of
order ids. Core compiles an IN list into one bind parameter per value, anew
for every list: in `process` that cost more than running the statements.
These helpers take SQL written with `?` placeholders, give the driver its own
(`?` for sqlite3, `%s` for psycopg), and read rows as the driver gives them,
without result processing. So only values that need no conversion go through them: ids,
numbers, strings; a datetime goes through `bind_value` first. Every value is
bound: none is ever written into the statement's text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

from sqlalchemy import Column, Connection, CursorResult

# Values per statement: well under SQLite's 32766 and PostgreSQL's 65535 parameters.
BATCH = 5000


def driver_sql(connection: Connection, sql: str) -> str:
    """`sql` with its `?` placeholders in the driver's own style."""
    if connection.dialect.paramstyle == "qmark":
        return sql
    return sql.replace("?", "%s")


def update_or_fail(connection: Connection) -> str:
    """How to begin an UPDATE of many rows in a transaction that any failure rolls
    back whole: SQLite's OR FAIL, which spares the statement journal (SQLite
    otherwise copies every page the statement changes to a temporary file first,
    to undo that statement alone); a plain UPDATE elsewhere."""
    return "UPDATE OR FAIL" if connection.dialect.name == "sqlite" else "UPDATE"


def for_update(connection: Connection) -> str:
    """The row-locking clause: PostgreSQL's; SQLite has none (a write transaction
    holds the whole database)."""
    return "" if connection.dialect.name == "sqlite" else " FOR UPDATE"


def by_id_only(connection: Connection) -> str:
    """The clause, after a table's name, that has SQLite find its rows by id alone: for
    statements over a batch of ids that all meet the other conditions (or nearly), so
    that no index on those conditions can pick fewer rows. SQLite's planner, going by
    ANALYZE's bounded sample, may judge otherwise: after receiving 100,000 orders it took
    `status = ?` to pick about 1,000 of them, and scanned the index of statuses (every
    received order) for each batch of ids. The id must be the table's INTEGER PRIMARY
    KEY (its rowid): NOT INDEXED leaves only rowid lookups or a full scan. PostgreSQL
    needs nothing here."""
    return " NOT INDEXED" if connection.dialect.name == "sqlite" else ""


def each_batch(
    connection: Connection,
    sql: str,
    values: Sequence[Any],
    params: Sequence[Any] = (),
) -> Iterator[CursorResult[*tuple[Any, ...]]]:
    """Run `sql` once per batch of `values`, its `{values}` standing for the batch.

    `params` fill the `?` placeholders written before `{values}`; none may
    come after it.
    """
    for start in range(0, len(values), BATCH):
        batch = values[start : start + BATCH]
        statement = sql.format(values=", ".join("?" * len(batch)))
        yield connection.exec_driver_sql(driver_sql(connection, statement), (*params, *batch))


def batches(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """`values` in batches of at most BATCH, for statements with one bound value each."""
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def run_in_batches(
    connection: Connection, sql: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> int:
    """Run `sql` over the batches of `values` (as in `each_batch`); the rows it changed."""
    return sum(result.rowcount for result in each_batch(connection, sql, values, params))


def rows_in(
    connection: Connection, sql: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Every row of `sql` over the batches of `values` (as in `each_batch`), as the
    driver's own tuples: unpacking Row objects cost more than running the query."""
    rows: list[tuple[Any, ...]] = []
    for result in each_batch(connection, sql, values, params):
        rows.extend(_fetched(result))
    return rows


def all_rows(connection: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of `sql` (`?` placeholders filled from `params`), as the driver's tuples."""
    return _fetched(connection.exec_driver_sql(driver_sql(connection, sql), tuple(params)))


def _fetched(result: CursorResult[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of `result` straight from the driver's cursor (no Row objects)."""
    rows = list(result.cursor.fetchall())
    result.close()
    return rows


def bind_value(connection: Connection, column: Column[Any], value: Any) -> Any:
    """`value` as Core would send it for `column` (a datetime as SQLite's text, say)."""
    dialect = connection.dialect
    # The dialect's own type (SQLite's DATETIME renders text), under any TypeDecorator.
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def insert_many(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    same: Mapping[str, Any] | None = None,
) -> None:
    """The driver's executemany of `rows` (values in `columns` order, each already
    as the driver takes it) into `table`, with the values `same` in every row."""
    if not rows:
        return
    same = same or {}
    if same:
        rows = list(map(tuple.__add__, rows, repeat(tuple(same.values()))))
    names = [*columns, *same]
    marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
    connection.exec_driver_sql(driver_sql(connection, sql), list(rows))
