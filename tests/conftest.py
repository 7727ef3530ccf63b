"""Shared fixtures: a fresh database per test, the CLI, and a way to read rows back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orderops.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

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


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database file of the test's own, also set as $ORDEROPS_DB."""
    path = tmp_path / "orderops.db"
    monkeypatch.setenv("ORDEROPS_DB", str(path))
    monkeypatch.delenv("ORDEROPS_DEBUG", raising=False)
    return path


@pytest.fixture
def cli(db_path: Path) -> Callable[..., Any]:
    """Run `orderops ARGS` in-process; returns the Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def run(*args: str, input: str | bytes | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    return run


@pytest.fixture
def rows(db_path: Path) -> Callable[..., list[tuple[Any, ...]]]:
    """Rows of an SQL query on the test database (named :params), read directly."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db_path}")

    def query(sql: str, **params: Any) -> list[tuple[Any, ...]]:
        if not db_path.exists():
            # Nothing was ever written: answer as an empty database would.
            from orderops.store.database import Database

            Database(str(db_path)).close()
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]

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
    *args: str, db: Path, input: bytes | None = None, env: dict[str, str] | None = None
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
