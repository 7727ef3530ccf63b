"""A large import killed part-way leaves a sound database holding all or none of its orders."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, run_orderops

ORDERS = 20_000
HEADER = "order_number,placed_at,customer_name,address1,city,country,currency,sku,qty,unit_price\n"


def write_large_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write(HEADER)
        for n in range(ORDERS):
            order = f"K{n:06d},2026-11-20T10:{n % 60:02d}:00Z,Customer {n},{n} Road,Leeds,GB,GBP"
            file.write(f"{order},TEA-{n % 50},1,6.50\n{order},MUG-{n % 7},2,12.00\n")


def counts(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db) as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
            for table, where in (
                ("orders", "order_number LIKE 'K%'"),
                ("order_lines", "order_id IN (SELECT id FROM orders WHERE order_number LIKE 'K%')"),
                (
                    "order_events",
                    "order_id IN (SELECT id FROM orders WHERE order_number LIKE 'K%')",
                ),
            )
        )


@pytest.mark.slow
def test_sigkill_part_way_leaves_all_or_none_and_a_rerun_leaves_one_copy(tmp_path: Path) -> None:
    db = tmp_path / "orderops.db"
    big = tmp_path / "big.csv"
    write_large_csv(big)
    assert run_orderops("receive", str(EXAMPLES / "order.yaml"), db=db).returncode == 0
    wal = Path(f"{db}-wal")
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "orderops", "receive", str(big)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    # Part-way: the one transaction has started writing its rows to the WAL.
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 1_000_000:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the import ended before it could be killed; make it larger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert counts(db) in ((0, 0, 0), (ORDERS, 2 * ORDERS, ORDERS))

    again = run_orderops("receive", str(big), db=db)
    assert again.returncode == 0, again.stderr
    assert again.stderr == b""  # no progress bar when stderr is not a terminal
    assert counts(db) == (ORDERS, 2 * ORDERS, ORDERS)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # After a large import the planner's statistics were refreshed.
        stats = connection.execute("SELECT tbl FROM sqlite_stat1").fetchall()
        assert ("orders",) in stats and ("order_lines",) in stats
        assert connection.execute(
            "SELECT count(*) FROM (SELECT order_number FROM orders GROUP BY order_number "
            "HAVING count(*) > 1)"
        ).fetchone() == (0,)
    once_more = run_orderops("receive", str(big), db=db)
    assert once_more.stdout.decode().startswith(f"received 0 orders (0 lines), skipped {ORDERS:,}")
    assert counts(db) == (ORDERS, 2 * ORDERS, ORDERS)


@pytest.mark.slow
def test_a_large_file_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import pty

    big = tmp_path / "big.csv"
    write_large_csv(big)
    parent, child = pty.openpty()
    env = {**os.environ, "ORDEROPS_DB": str(tmp_path / "o.db"), "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "orderops", "receive", str(big)],
        env=env, stdout=subprocess.PIPE, stderr=child,
    )  # fmt: skip
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    process.wait()
    os.close(parent)
    assert process.returncode == 0
    assert b"receiving" in shown
    assert process.stdout is not None
    assert process.stdout.read().decode() == f"received {ORDERS:,} orders ({2 * ORDERS:,} lines)\n"


@pytest.mark.slow
def test_two_processes_receiving_the_same_file_leave_one_copy(tmp_path: Path) -> None:
    db = tmp_path / "orderops.db"
    big = tmp_path / "big.csv"
    write_large_csv(big)
    assert run_orderops("db", "upgrade", db=db).returncode == 0
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "orderops", "receive", str(big)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    said = sorted(out.decode() for out, _ in outputs)
    assert said == [
        f"received 0 orders (0 lines), skipped {ORDERS:,} already received\n",
        f"received {ORDERS:,} orders ({2 * ORDERS:,} lines)\n",
    ]
    assert counts(db) == (ORDERS, 2 * ORDERS, ORDERS)
