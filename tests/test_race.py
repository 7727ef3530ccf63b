"""Never oversell: 8 real `orderops process` processes at once on one stock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_lock_held

PROCESSES = 8
ORDERS = 400
UNITS = 100
STARTUP_SECONDS = 6


def one_unit_orders(count: int) -> str:
    return "".join(
        f'- {{order_number: "R{n:04d}", customer_name: Ada, address1: 1 Road, city: London, '
        f"postal_code: SW1A 1AA, country: GB, lines: [{{sku: RACE-1, qty: 1}}]}}\n"
        for n in range(count)
    )


@pytest.mark.slow
def test_eight_processes_at_once_never_allocate_the_same_unit_twice(
    cli: Callable[..., Any],
    rows: Callable[..., list[tuple[Any, ...]]],
    db_url: str,
    order_file: Callable[..., Path],
) -> None:
    assert cli("receive", str(order_file(one_unit_orders(ORDERS)))).exit_code == 0
    stock = "sku,location,on_hand\n" + "".join(f"RACE-1,A-0{b}-1,25\n" for b in range(1, 5))
    assert cli("stock", "import", str(order_file(stock, suffix=".csv"))).exit_code == 0
    numbers = [f"R{n:04d}" for n in range(ORDERS)]
    slices = [numbers[i::PROCESSES] for i in range(PROCESSES)]
    env = {**os.environ, "ORDEROPS_DB": db_url}
    env.pop("ORDEROPS_DEBUG", None)
    # Python takes a while to start, so without the lock the 8 processes
    # would rarely overlap; held, they all pile up at it and rush at once.
    with write_lock_held(db_url):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "orderops", "process", *part],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )  # fmt: skip
            for part in slices
        ]
        # Long enough for 8 Pythons to start on 2 busy cores and reach the lock.
        time.sleep(STARTUP_SECONDS)
    outputs = [run.communicate(timeout=120) for run in runs]
    failures = [
        (run.returncode, err.decode()) for run, (_, err) in zip(runs, outputs, strict=True)
        if run.returncode != 0
    ]  # fmt: skip
    outcome = {
        "failed processes": failures,
        "orders by status": dict(rows("SELECT status, count(*) FROM orders GROUP BY status")),
        "on hand, allocated": rows("SELECT sum(on_hand), sum(allocated) FROM stock"),
        "units in allocation rows": rows("SELECT coalesce(sum(qty), 0) FROM allocations"),
    }
    assert outcome == {
        "failed processes": [],
        "orders by status": {"ready": UNITS, "backordered": ORDERS - UNITS},
        "on hand, allocated": [(UNITS, UNITS)],
        "units in allocation rows": [(UNITS,)],
    }
