"""Processing speed: `orderops process` against `orderops receive` of the same file.

1. Writes ORDERS orders as the generic CSV (bench/generic_csv.py, the file
   bench/import.py receives; two lines each, over SKUS SKUs) and a stock file
   with enough units for about 70% of them.
2. Times `orderops receive` of the orders as a whole process (start-up
   included), then `orderops process` of all of them, on one SQLite file;
   RUNS times, each on a new file: the ratio process / receive is measured
   in the same run, as the median of the runs' ratios (each pair runs back
   to back, so a slow spell of the machine falls on both) and as the ratio
   of the medians, for wall time and for CPU time (user and system: on this
   shared machine, time spent waiting for a core is not the program's). The
   pairs run on one CPU (bench/one_cpu.py). Target <= 1.0.
3. 8 `orderops process` processes at once on disjoint slices of CONCURRENT
   orders (one SQLite file): orders allocated per second over the wall time
   of the whole race, start-up included. Target >= 500/s.
Each run checks the outcome: allocated units equal the units of ready orders.

    python bench/process.py [--orders 100000] [--skus 2000] [--concurrent 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generic_csv import Lines, generate, order_number, sku_name
from one_cpu import on_one_cpu
from timed import run_timed


def write_stock(path: Path, orders: list[Lines], skus: int, rng: random.Random) -> None:
    """Stock for a random 70% of the orders, spread over two bins per SKU."""
    demand = {sku_name(s): 0 for s in range(skus)}
    for lines in rng.sample(orders, int(len(orders) * 0.7)):
        for sku, qty in lines:
            demand[sku] += qty
    with path.open("w", encoding="utf-8") as out:
        out.write("sku,name,location,on_hand,reorder_point\n")
        for i, (sku, units) in enumerate(demand.items()):
            half = units // 2
            out.write(f"{sku},Product {sku},A-{i % 40:02d}-{i % 5},{units - half},5\n")
            out.write(f"{sku},Product {sku},B-{i % 40:02d}-{i % 5},{half},5\n")


def orderops(db: Path, *args: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user and system) of one `orderops` process."""
    timing = run_timed(
        [sys.executable, "-m", "orderops", *args], {**os.environ, "ORDEROPS_DB": str(db)}
    )
    return timing.wall, timing.cpu


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
    parser.add_argument("--runs", type=int, default=3, help="receive/process pairs; medians")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        orders_file, stock_file = work / "orders.csv", work / "stock.csv"
        chosen = generate(orders_file, args.orders, skus=args.skus)
        write_stock(stock_file, chosen, args.skus, rng)
        receive_runs, process_runs = [], []
        # The pairs on one CPU (bench/one_cpu.py); the race below uses every CPU.
        with on_one_cpu() as pinned:
            for run in range(args.runs):
                # Each run on a new database: receive, then process; the two alternate, so a
                # slow spell of this shared machine falls on both alike.
                db = work / f"bench{run}.db"
                receive_runs.append(orderops(db, "receive", str(orders_file)))
                orderops(db, "stock", "import", str(stock_file))
                process_runs.append(orderops(db, "process"))
                statuses = check(db)
                received, received_cpu = receive_runs[-1]
                processed, processed_cpu = process_runs[-1]
                print(
                    f"run {run + 1}: receive {received:.2f} s ({received_cpu:.2f} s CPU), "
                    f"process {processed:.2f} s ({processed_cpu:.2f} s CPU), ratio "
                    f"{processed / received:.2f} ({processed_cpu / received_cpu:.2f} by CPU)"
                )
        print(f"orders: {args.orders:,} ({2 * args.orders:,} lines, {args.skus:,} SKUs, "
              f"generic CSV), stock for about 70% of them; outcome: {statuses}; "
              f"pairs run on CPU {pinned}")  # fmt: skip
        for name, timings in (("receive", receive_runs), ("process", process_runs)):
            seconds = statistics.median(wall for wall, _ in timings)
            cpu = statistics.median(cpu for _, cpu in timings)
            print(f"{name} (whole process, median of {args.runs}): {seconds:8.2f} s  "
                  f"({cpu:.2f} s CPU)  {args.orders / seconds:9,.0f} orders/s")  # fmt: skip
        for which, label in ((0, "wall"), (1, "CPU")):
            paired = statistics.median(
                p[which] / r[which] for p, r in zip(process_runs, receive_runs, strict=True)
            )
            medians = statistics.median(p[which] for p in process_runs) / statistics.median(
                r[which] for r in receive_runs
            )
            print(f"ratio process / receive, {label} time: {paired:.2f} median of the runs' "
                  f"ratios, {medians:.2f} of the medians (target <= 1.0)")  # fmt: skip

        race_db = work / "race.db"
        n = args.concurrent
        race_orders = work / "race.csv"
        chosen = generate(race_orders, n, skus=args.skus, seed=rng.randrange(2**32))
        write_stock(stock_file, chosen, args.skus, rng)
        orderops(race_db, "receive", str(race_orders))
        orderops(race_db, "stock", "import", str(stock_file))
        numbers = [order_number(i) for i in range(n)]
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
