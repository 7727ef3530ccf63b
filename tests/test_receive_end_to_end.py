"""Bulk receiving and export end to end, through the same commands, on whichever
engine the suite runs on (SQLite, or PostgreSQL with ORDEROPS_TEST_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def pg(cli, rows):  # type: ignore[no-untyped-def]
    def run(*args: str):  # type: ignore[no-untyped-def]
        return cli(*args)

    run.count = lambda table: rows(f"SELECT count(*) FROM {table}")[0][0]  # type: ignore[attr-defined]
    return run


def test_receive_skip_refuse_update_and_export_end_to_end(pg, tmp_path) -> None:  # type: ignore[no-untyped-def]
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
