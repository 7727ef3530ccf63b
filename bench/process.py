"""Processing speed: `orderops process` against `orderops receive` of the same file.

1. Writes ORDERS orders (two lines each, over SKUS SKUs) and a stock file with
   enough units for about 70% of them.
2. Times `orderops receive` of the orders as a whole process (start-up
   included), then `orderops process` of all of them, on one SQLite file;
   the ratio process / receive is measured in the same run. Target <= 1.0.
3. 8 `orderops process` processes at once on disjoint slices of CONCURRENT
   orders (one SQLite file): orders allocated per second over the wall time
   of the whole race, start-up included. Target >= 500/s.
Each run checks the outcome: allocated units equal the units of ready orders.

    python bench/process.py [--orders 100000] [--skus 2000] [--concurrent 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_orders(path: Path, orders: int, skus: int, rng: random.Random) -> list[list[str]]:
    """The orders file (YAML, the format `receive` reads); returns each order's SKUs."""
    chosen = []
    with path.open("w", encoding="utf-8") as out:
        for n in range(orders):
            pair = rng.sample(range(skus), 2)
            chosen.append([f"SKU-{s:05d}" for s in pair])
            out.write(
                f'- order_number: "B{n:06d}"\n'
                f"  placed_at: 2026-11-{1 + n % 28:02d}T{n % 24:02d}:00:00Z\n"
                f"  priority: {rng.choice((0, 0, 0, 1))}\n"
                "  customer_name: Ada Lovelace\n  email: ada@example.com\n"
                "  address1: 12 St James's Square\n  city: London\n"
                "  postal_code: SW1Y 4JH\n  country: GB\n  currency: GBP\n"
                "  lines:\n"
                f"    - {{sku: {chosen[-1][0]}, qty: 1, unit_price: '6.50'}}\n"
                f"    - {{sku: {chosen[-1][1]}, qty: 1, unit_price: '12.00'}}\n"
            )
    return chosen


def write_stock(path: Path, chosen: list[list[str]], skus: int, rng: random.Random) -> None:
    """Stock for a random 70% of the orders, spread over two bins per SKU."""
    demand = {f"SKU-{s:05d}": 0 for s in range(skus)}
    for pair in rng.sample(chosen, int(len(chosen) * 0.7)):
        for sku in pair:
            demand[sku] += 1
    with path.open("w", encoding="utf-8") as out:
        out.write("sku,name,location,on_hand,reorder_point\n")
        for i, (sku, units) in enumerate(demand.items()):
            half = units // 2
            out.write(f"{sku},Product {sku},A-{i % 40:02d}-{i % 5},{units - half},5\n")
            out.write(f"{sku},Product {sku},B-{i % 40:02d}-{i % 5},{half},5\n")


def orderops(db: Path, *args: str) -> float:
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "orderops", *args], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def check(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        statuses = dict(connection.execute("SELECT status, count(*) FROM orders GROUP BY status"))
        allocated = connection.execute("SELECT sum(allocated) FROM stock").fetchone()[0]
        ready_units = connection.execute(
            "SELECT coalesce(sum(l.qty), 0) FROM order_lines l JOIN orders o "
            "ON o.id = l.order_id WHERE o.status = 'ready'"
        ).fetchone()[0]
        oversold = connection.execute("SELECT count(*) FROM stock WHERE allocated > on_hand")
    assert allocated == ready_units, (allocated, ready_units)
    assert oversold.fetchone()[0] == 0
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--concurrent", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        orders_file, stock_file = work / "orders.yaml", work / "stock.csv"
        chosen = write_orders(orders_file, args.orders, args.skus, rng)
        write_stock(stock_file, chosen, args.skus, rng)
        db = work / "bench.db"
        receive_s = orderops(db, "receive", str(orders_file))
        orderops(db, "stock", "import", str(stock_file))
        process_s = orderops(db, "process")
        statuses = check(db)
        print(f"orders: {args.orders:,} ({2 * args.orders:,} lines, {args.skus:,} SKUs), "
              f"stock for about 70% of them; outcome: {statuses}")  # fmt: skip
        for name, seconds in (("receive", receive_s), ("process", process_s)):
            rate = args.orders / seconds
            print(f"{name} (whole process): {seconds:8.2f} s  {rate:9,.0f} orders/s")
        print(f"ratio process / receive: {process_s / receive_s:.2f} (target <= 1.0)")

        race_db = work / "race.db"
        n = args.concurrent
        race_orders = work / "race.yaml"
        chosen = write_orders(race_orders, n, args.skus, rng)
        write_stock(stock_file, chosen, args.skus, rng)
        orderops(race_db, "receive", str(race_orders))
        orderops(race_db, "stock", "import", str(stock_file))
        numbers = [f"B{i:06d}" for i in range(n)]
        env = {**os.environ, "ORDEROPS_DB": str(race_db)}
        start = time.perf_counter()
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "orderops", "process", *numbers[i :: args.processes]],
                env=env,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            for i in range(args.processes)
        ]
        codes = [run.wait() for run in runs]
        race_s = time.perf_counter() - start
        statuses = check(race_db)
        ready = statuses.get("ready", 0)
        print(f"{args.processes} processes at once on {n:,} orders: exit codes {codes}; "
              f"outcome: {statuses}")  # fmt: skip
        print(f"  wall time {race_s:.2f} s; {ready / race_s:,.0f} orders allocated/s, "
              f"{n / race_s:,.0f} orders decided/s (target >= 500 allocated/s)")  # fmt: skip


if __name__ == "__main__":
    main()
