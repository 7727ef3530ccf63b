"""Bulk import: `orderops receive` on a large generic CSV against a plain sqlite3 script.

Generates the seeded generic CSV of bench/generic_csv.py (default 100,000
orders, 200,000 lines), then times, each as a whole fresh process on a fresh database:

- `python -m orderops --db FILE receive big.csv` (reading, checking every
  field, fingerprints, one transaction), and
- a plain sqlite3 script that reads the same CSV with the csv module and
  inserts the same orders, lines and one event per order with executemany
  into the same schema (created by `orderops db upgrade`, not timed), with the
  same indexes and pragmas, and no checks at all.

The two databases must then hold the same rows, byte for byte, but for what
only orderops computes (each order's fingerprint; the plain script writes as
many dashes) and the time of receiving: the script fails otherwise, so the
baseline cannot drift into doing less work than orderops.

It prints lines per second, both times, their ratio (target <= 1.5) and the
peak memory (RSS) of each process (target <= 250 MiB); with `--runs`, each
pair's ratio too, and the median of those. The pairs run on one CPU
(bench/one_cpu.py). `--growth` also receives a file 5 times larger, to show
that memory stays flat.

    python bench/import.py [--orders 100000] [--runs 1] [--growth]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from operator import truediv
from pathlib import Path

from generic_csv import generate
from one_cpu import on_one_cpu
from timed import run_timed

RAW_SCRIPT = r"""
import csv, itertools, json, sqlite3, sys
from decimal import Decimal

connection = sqlite3.connect(sys.argv[2], isolation_level=None)
connection.execute("PRAGMA journal_mode = WAL")
connection.execute("PRAGMA synchronous = NORMAL")
connection.execute("PRAGMA foreign_keys = ON")
connection.execute("BEGIN IMMEDIATE")
now = "2026-11-26 12:00:00.000000"
# Decimals of the file's currencies (JPY has none), as orderops stores them.
EXPONENT = {"JPY": 0}
ORDERS = ("INSERT INTO orders (id, order_number, status, hold_reason, placed_at, ship_by, "
          "priority, channel, customer_name, email, phone, address1, address2, city, region, "
          "postal_code, country, shipping_method, currency, currency_exponent, note, fingerprint, "
          "received_at, updated_at) VALUES (?, ?, 'received', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
LINES = ("INSERT INTO order_lines (order_id, line_no, sku, name, qty, unit_price_minor) "
         "VALUES (?, ?, ?, ?, ?, ?)")
EVENTS = ("INSERT INTO order_events (order_id, at, actor, action, from_status, to_status, "
          "detail) VALUES (?, ?, 'bench', 'receive', NULL, 'received', ?)")
# Each event names the file and line its order came from, as orderops writes it.
SOURCE = ('{"source": ' + json.dumps(sys.argv[1], ensure_ascii=False)[:-1].replace("%", "%%")
          + ':%d"}')


def flush(orders, lines, events):
    connection.executemany(ORDERS, orders)
    connection.executemany(LINES, lines)
    connection.executemany(EVENTS, events)

with open(sys.argv[1], newline="", encoding="utf-8-sig") as file:
    rows = csv.reader(file)
    next(rows)
    orders, lines, events = [], [], []
    order_id = 0
    line = 2  # the file's cells hold no line breaks: one row per line
    for number, group in itertools.groupby(rows, key=lambda row: row[0]):
        order_id += 1
        group = list(group)
        o = group[0]
        exponent = EXPONENT.get(o[15], 2)
        # The file's times are whole seconds in UTC, stored as orderops stores them.
        placed_at = o[1].replace("T", " ").replace("Z", ".000000")
        orders.append((order_id, o[0], placed_at, o[2] or None,
                       int(o[3]), o[4], o[5], o[6], o[7].lstrip("'"), o[8], o[9], o[10], o[11],
                       o[12], o[13], o[14], o[15], exponent, o[16], "-" * 64, now, now))
        for line_no, row in enumerate(group, start=1):
            price = int(Decimal(row[20]).scaleb(exponent)) if row[20] else None
            lines.append((order_id, line_no, row[17], row[18], int(row[19]), price))
        events.append((order_id, now, SOURCE % line))
        line += len(group)
        if len(orders) >= 2000:
            flush(orders, lines, events)
            orders, lines, events = [], [], []
    flush(orders, lines, events)
connection.execute("COMMIT")
"""


ORDEROPS = [sys.executable, "-m", "orderops"]


def fresh_database(folder: Path, name: str) -> Path:
    db = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run([*ORDEROPS, "--db", str(db), "db", "upgrade"],
                   check=True, capture_output=True)  # fmt: skip
    return db


# What only orderops computes, or the time of receiving: left out of the comparison.
NOT_COMPARED = {"fingerprint", "received_at", "updated_at", "at"}


def same_rows(ours: Path, raw: Path) -> None:
    """Exit unless the two databases hold the same orders, lines and events."""
    connection = sqlite3.connect(ours)
    connection.execute("ATTACH DATABASE ? AS raw", (str(raw),))
    for table in ("orders", "order_lines", "order_events"):
        names = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        columns = ", ".join(name for name in names if name not in NOT_COMPARED)
        counts = [connection.execute(f"SELECT count(*) FROM {db}.{table}").fetchone()[0]
                  for db in ("main", "raw")]  # fmt: skip
        differing = connection.execute(
            f"SELECT count(*) FROM (SELECT {columns} FROM main.{table} "
            f"EXCEPT SELECT {columns} FROM raw.{table})"
        ).fetchone()[0]
        if counts[0] != counts[1] or differing:
            sys.exit(f"{table}: orderops wrote {counts[0]:,} rows, the plain script "
                     f"{counts[1]:,}; {differing:,} of orderops' rows differ")  # fmt: skip
    connection.close()


def measure(folder: Path, csv_path: Path, runs: int) -> dict[str, list[float]]:
    raw_script = folder / "raw_sqlite.py"
    raw_script.write_text(RAW_SCRIPT)
    result: dict[str, list[float]] = {
        f"{who}{what}": [] for who in ("ours", "raw") for what in ("", "_cpu", "_mib")
    }
    commands = {
        # The plain script's actor, so that the events match.
        "ours": [*ORDEROPS, "--db", "{db}", "--actor", "bench", "receive", str(csv_path)],
        "raw": [sys.executable, str(raw_script), str(csv_path), "{db}"],
    }
    for index in range(runs):
        for who, command in commands.items():
            db = str(fresh_database(folder, f"{who}.db"))
            seconds, cpu, mib = run_timed([db if part == "{db}" else part for part in command])
            result[who].append(seconds)
            result[f"{who}_cpu"].append(cpu)
            result[f"{who}_mib"].append(mib)
        if index == 0:
            same_rows(folder / "ours.db", folder / "raw.db")
        ours, raw = result["ours"][-1], result["raw"][-1]
        by_cpu = result["ours_cpu"][-1] / result["raw_cpu"][-1]
        print(f"run {index + 1}: orderops {ours:.2f} s, plain {raw:.2f} s, "
              f"ratio {ours / raw:.2f} ({by_cpu:.2f} by CPU)")  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="alternating runs; medians shown")
    parser.add_argument("--growth", action="store_true", help="also receive a 5x larger file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv_path = folder / "big.csv"
        lines = sum(map(len, generate(csv_path, args.orders)))
        size = csv_path.stat().st_size / 2**20
        print(f"file: {args.orders:,} orders, {lines:,} lines, {size:.1f} MiB (generic CSV)")
        with on_one_cpu() as cpu:
            figures = measure(folder, csv_path, args.runs)
        median = {key: statistics.median(values) for key, values in figures.items()}
        ours, raw = median["ours"], median["raw"]
        print(f"runs: {args.runs} each, alternating, whole processes on fresh databases, "
              f"all on CPU {cpu}")  # fmt: skip
        for who, label in (("ours", "orderops receive"), ("raw", "plain sqlite3")):
            print(f"{label + ':':18} {median[who]:6.2f} s wall ({median[who + '_cpu']:6.2f} s CPU)"
                  f"  {lines / median[who]:9,.0f} lines/s  "
                  f"peak {max(figures[who + '_mib']):6.1f} MiB")  # fmt: skip
        print(f"ratio: {ours / raw:.2f} wall, {median['ours_cpu'] / median['raw_cpu']:.2f} CPU "
              f"(target <= 1.5); peak memory {max(figures['ours_mib']):.1f} MiB "
              "(target <= 250)")  # fmt: skip
        # Each pair runs back to back: a slow spell of a shared machine falls on both.
        paired = [statistics.median(map(truediv, figures[f"ours{kind}"], figures[f"raw{kind}"]))
                  for kind in ("", "_cpu")]  # fmt: skip
        print(f"median of the runs' ratios: {paired[0]:.2f} wall, {paired[1]:.2f} CPU")
        if args.growth:
            bigger = folder / "bigger.csv"
            more = sum(map(len, generate(bigger, args.orders * 5)))
            db = fresh_database(folder, "growth.db")
            seconds, _, mib = run_timed([*ORDEROPS, "--db", str(db), "receive",
                                   str(bigger)])  # fmt: skip
            print(f"5x file ({args.orders * 5:,} orders, {more:,} lines): {seconds:.2f} s, "
                  f"{more / seconds:,.0f} lines/s, peak {mib:.1f} MiB "
                  f"({mib / max(figures['ours_mib']):.2f}x the 1x peak)")  # fmt: skip


if __name__ == "__main__":
    main()
