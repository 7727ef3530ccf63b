"""Bulk receiving and export on PostgreSQL, through the same commands.

Runs when ORDEROPS_TEST_POSTGRES names an empty database it may wipe, e.g.
`ORDEROPS_TEST_POSTGRES=postgresql+psycopg://postgres@/test?host=/tmp&port=5432`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderops.cli import app

URL = os.environ.get("ORDEROPS_TEST_POSTGRES", "")
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="set ORDEROPS_TEST_POSTGRES to run on PostgreSQL"),
]


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    engine = create_engine(URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    monkeypatch.setenv("ORDEROPS_DB", URL)
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    def count(table: str) -> int:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)

    run.count = count  # type: ignore[attr-defined]
    yield run
    engine.dispose()


def test_receive_skip_refuse_update_and_export_on_postgresql(pg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = [str(FIXTURES / name) for name in ("generic.csv", "shopify.csv", "woocommerce.csv")]
    first = pg("receive", *files)
    assert first.exit_code == 0, first.output
    assert first.stdout == "received 6 orders (10 lines)\n"
    again = pg("receive", *files)
    assert again.stdout == "received 0 orders (0 lines), skipped 6 already received\n"
    bad = pg("receive", str(FIXTURES / "bad" / "good_and_bad.csv"))
    assert bad.exit_code == 4
    assert pg.count("orders") == 6 and pg.count("order_events") == 6
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "order_number,customer_name,address1,city,country,sku,qty\n"
        "7002,Ole Nordmann,Storgata 2,Oslo,NO,TEA-EARLGREY-100,1\n"
    )
    assert pg("receive", str(changed)).exit_code == 5
    updated = pg("receive", "--update", str(changed))
    assert updated.stdout == "received 0 orders (0 lines), updated 1 (7002)\n"
    assert pg.count("order_events") == 7
    exported = pg("export", "orders").stdout_bytes
    path = tmp_path / "export.csv"
    path.write_bytes(exported)
    pg("receive", "--update", str(path))
    assert pg("export", "orders").stdout_bytes == exported
