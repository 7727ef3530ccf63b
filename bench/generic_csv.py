"""The seeded generic CSV that bench/import.py and bench/process.py both receive.

The generic CSV is the format `orderops export orders` writes and the bulk
path shops use: one row per order line, the order's fields repeated.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from orderops.domain.orders import LINE_FIELDS, ORDER_FIELDS

# The generic CSV's columns, as orderops reads and writes them.
HEADER = [*ORDER_FIELDS, *LINE_FIELDS]

FIRST = ["Ada", "Grace", "Émilie", "Alan", "Katherine", "Jö", "Li", "Ole", "Mary", "Sam"]
LAST = ["Lovelace", "Hopper", "du Châtelet", "Turing", "Johnson", "Müller", "Wei", "Nordmann"]
CITIES = [("London", "GB", "GBP"), ("Paris", "FR", "EUR"), ("Berlin", "DE", "EUR"),
          ("Boston", "US", "USD"), ("Tokyo", "JP", "JPY"), ("Oslo", "NO", "NOK")]  # fmt: skip

# One order's lines as (sku, qty).
Lines = list[tuple[str, int]]


def sku_name(item: int) -> str:
    return f"SKU-{item:04d}"


def generate(path: Path, orders: int, *, skus: int = 3000, seed: int = 20261126) -> list[Lines]:
    """A generic CSV of `orders` orders (B00000000, ...), two lines each over `skus` SKUs.

    Returns each order's lines, in file order.
    """
    rnd = random.Random(seed)
    written: list[Lines] = []
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(HEADER)
        for n in range(orders):
            city, country, currency = CITIES[n % len(CITIES)]
            name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
            order = [
                order_number(n),
                f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{n % 59:02d}Z",
                "2026-12-31" if n % 3 else "",
                str(n % 3),
                "web" if n % 4 else "market",
                name,
                f"customer{n}@example{n % 97}.com",
                f"'+44 20 7946 {n % 10000:04d}" if n % 2 else "",
                f"{1 + n % 300} High Street",
                "Flat 2, rear" if n % 5 == 0 else "",
                city,
                "",
                f"{10000 + n % 90000}",
                country,
                "standard" if n % 3 else "express",
                currency,
                "Gift wrap, please" if n % 7 == 0 else "",
            ]
            lines: Lines = []
            for line in range(2):
                # A shop's catalogue: each SKU at its price.
                item = rnd.randrange(skus)
                sku, qty = sku_name(item), 1 + line
                cents = 100 + item * 7919 % 4900
                price = str(cents) if currency == "JPY" else f"{cents / 100:.2f}"
                writer.writerow([*order, sku, f"Tea {sku}", str(qty), price])
                lines.append((sku, qty))
            written.append(lines)
    return written


def order_number(n: int) -> str:
    return f"B{n:08d}"
