"""Shared fixtures: a fresh database per test, the CLI, and a way to read rows back."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from orderops.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_ORDERS = (str(EXAMPLES / "orders.yaml"), str(EXAMPLES / "order.yaml"))

ORDER_YAML = """\
order_number: "1001"
placed_at: 2026-11-20T14:03:00+01:00
ship_by: 2026-11-22
priority: 0
channel: web
customer_name: Ada Lovelace
email: ada@example.com
phone: "+44 20 7946 0000"
address1: 12 St James's Square
city: London
postal_code: SW1Y 4JH
country: GB
shipping_method: standard
currency: GBP
lines:
  - sku: TEA-EARLGREY-100
    name: Earl Grey 100 g
    qty: 2
    unit_price: "6.50"
  - sku: MUG-WHITE
    qty: 1
    unit_price: 12
"""


# The suite runs on SQLite by default. With ORDEROPS_TEST_DATABASE_URL set to a
# PostgreSQL server URL (postgresql+psycopg://postgres@127.0.0.1:55432/postgres)
# it runs on PostgreSQL: each test gets a fresh database copied from a migrated
# template, which is much faster than migrating per test.
TEST_DATABASE_URL = os.environ.get("ORDEROPS_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite-specific (file, PRAGMA, locks)")
_counter = itertools.count()


def _admin_engine() -> Any:
    from sqlalchemy import create_engine

    return create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")


def _url_for(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated to head, copied for each test (PostgreSQL runs only)."""
    from sqlalchemy import text

    from orderops.store.database import Database

    name = f"orderops_template_{os.getpid()}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    Database(_url_for(name)).close()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The test's own database (a file path on SQLite, a URL on PostgreSQL), as $ORDEROPS_DB."""
    monkeypatch.delenv("ORDEROPS_DEBUG", raising=False)
    if not ON_POSTGRES:
        path = tmp_path / "orderops.db"
        monkeypatch.setenv("ORDEROPS_DB", str(path))
        yield str(path)
        return
    from sqlalchemy import text

    template = request.getfixturevalue("postgres_template")
    name = f"orderops_test_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _url_for(name)
    monkeypatch.setenv("ORDEROPS_DB", url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_path(db_url: str) -> Path:
    """The SQLite file of the test (tests that need a file skip on PostgreSQL)."""
    if ON_POSTGRES:
        pytest.skip("needs an SQLite file")
    return Path(db_url)


@pytest.fixture
def cli(db_url: str) -> Callable[..., Any]:
    """Run `orderops ARGS` in-process; returns the Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def run(*args: str, input: str | bytes | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    return run


@pytest.fixture
def rows(db_url: str) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
    """Rows of an SQL query on the test database (named :params), read directly.

    A statement that writes (UPDATE ...) is committed, for tests that set up
    a state no command can reach.
    """
    from sqlalchemy import create_engine, text

    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url)

    def query(sql: str, **params: Any) -> list[tuple[Any, ...]]:
        if "://" not in db_url and not Path(db_url).exists():
            # Nothing was ever written: answer as an empty database would.
            from orderops.store.database import Database

            Database(db_url).close()
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    yield query
    engine.dispose()


@pytest.fixture
def order_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a YAML (or any) text to a file and return its path."""
    counter = iter(range(10_000))

    def write(text: str = ORDER_YAML, suffix: str = ".yaml") -> Path:
        path = tmp_path / f"input{next(counter)}{suffix}"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def run_orderops(
    *args: str, db: Path | str, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real entry point in a subprocess, as a shell script would call it."""
    full_env = {**os.environ, "ORDEROPS_DB": str(db), **(env or {})}
    full_env.pop("ORDEROPS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "orderops", *args],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=120,
    )


@pytest.fixture
def received(cli: Callable[..., Any], order_file: Callable[..., Path]) -> Iterator[str]:
    """Order 1001 received."""
    result = cli("receive", str(order_file()))
    assert result.exit_code == 0, result.output
    yield "1001"


@contextmanager
def write_lock_held(db_url: str) -> Iterator[None]:
    """Another writer holding the lock orderops needs, until the block ends.

    SQLite: a write transaction (BEGIN IMMEDIATE). PostgreSQL: the orders and
    stock tables locked against FOR UPDATE (plain reads still go through).
    """
    if ON_POSTGRES:
        from sqlalchemy import create_engine, text

        engine = create_engine(db_url)
        with engine.connect() as connection, connection.begin():
            connection.execute(text("LOCK TABLE orders, stock IN EXCLUSIVE MODE"))
            yield
        engine.dispose()
        return
    import sqlite3

    blocker = sqlite3.connect(db_url, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def generic_csv(path: Path, prefix: str, orders: int) -> Path:
    """`orders` orders of two lines each, in the generic CSV layout."""
    from orderops.domain.orders import LINE_FIELDS, ORDER_FIELDS

    header = [*ORDER_FIELDS, *LINE_FIELDS]
    values = {"customer_name": "Ada Lovelace", "address1": "12 St James's Square",
              "city": "London", "postal_code": "SW1Y 4JH", "country": "GB",
              "currency": "GBP", "placed_at": "2026-11-20T10:00:00Z"}  # fmt: skip
    rows = [",".join(header)]
    for n in range(orders):
        fields = {**values, "order_number": f"{prefix}{n:05d}", "email": f"c{n}@example.com"}
        for sku, qty in ((f"SKU-{n % 7}", 1), (f"SKU-{n % 5}", 2)):
            line = {"sku": sku, "name": f"Tea {sku}", "qty": str(qty), "unit_price": "4.50"}
            rows.append(",".join({**fields, **line}.get(name, "") for name in header))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@contextmanager
def before_statement(
    matches: Callable[[str], bool], meanwhile: Callable[[Any], None], times: int = 1
) -> Iterator[list[str]]:
    """Run `meanwhile(dbapi_cursor)` just before the first statements that `matches`
    (as another process would act between orderops' read and its write)."""
    seen: list[str] = []

    def hook(_conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        if len(seen) < times and matches(sql):
            seen.append(sql)
            meanwhile(cursor)

    event.listen(Engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", hook)


def moves_orders(sql: str) -> bool:
    """An UPDATE that changes orders' statuses."""
    words = sql.split()
    return words[0].upper() == "UPDATE" and "orders" in words[:4] and "status" in sql
