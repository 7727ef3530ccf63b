"""Hypothesis over the real services: whatever operators and scripts do, in any order,
the order history and the stock stay true.

Random sequences of receive, update (receive again, changed, with update), process,
hold, release, cancel and stock changes (add, set), checked after every step:

- each order's events, replayed in id order through `lifecycle.apply` from nothing,
  land on the order's stored status and held_from;
- no bin has negative on_hand or allocated, or more allocated than on hand;
- what a bin has allocated is the sum of the reservations (allocations) on it, and
  what a SKU has allocated is what its ready orders (held from ready too) ask for.

A refused step (TransitionRefused, Conflict) is a step like any other: it must leave
all of that intact.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ON_POSTGRES
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orderops.errors import Conflict, TransitionRefused
from orderops.lifecycle import Action, Status, apply

SKUS = ("TEA", "MUG", "POT")
BINS = ("A-01-1", "A-02-1")
ACTOR = "tester"
PAST = datetime(2020, 1, 1, tzinfo=UTC)

_lines = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=2)
_order = st.integers(0, 5)  # the n-th order received in this example, if there is one
_bin_change = st.tuples(st.sampled_from(SKUS), st.sampled_from(BINS))
_receive = st.tuples(st.just("receive"), _lines, st.booleans())  # True: no postal code
_step = st.one_of(
    _receive,
    st.tuples(st.just("update"), _order, _lines),
    st.tuples(st.just("process"), st.none()),
    st.tuples(st.just("process named"), st.lists(_order, min_size=1, max_size=2)),
    st.tuples(st.just("hold"), _order, st.booleans()),  # True: until a date now past
    st.tuples(st.just("release"), _order),
    st.tuples(st.just("cancel"), _order),
    st.tuples(st.just("add"), _bin_change, st.sampled_from([-4, -2, -1, 1, 2, 3, 6])),
    st.tuples(st.just("set"), _bin_change, st.integers(0, 6)),
)
_examples = itertools.count()


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the current schema, copied for each example (migrating is slow)."""
    from orderops.store.database import Database

    path = tmp_path_factory.mktemp("template") / "empty.db"
    Database(str(path)).close()
    return path


@pytest.fixture
def fresh_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], Any]:
    """A database for one example, and the prefix its order numbers and SKUs take.

    SQLite: a fresh file per example. PostgreSQL: the test's own database (made from the
    migrated template and dropped after the test, as conftest does), shared by the
    examples, each under its own prefix; the invariants hold over all of it.
    """
    if ON_POSTGRES:
        url = request.getfixturevalue("db_url")
        return lambda: (url, f"E{next(_examples)}-")
    template = request.getfixturevalue("sqlite_template")

    def fresh() -> tuple[str, str]:
        path = tmp_path_factory.mktemp("example") / "orderops.db"
        shutil.copy(template, path)
        return str(path), ""

    return fresh


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(_receive, min_size=1, max_size=4), then=st.lists(_step, min_size=10, max_size=20)
)
def test_history_replays_and_stock_adds_up_after_every_step(
    fresh_database: Callable[[], tuple[str, str]],
    first: list[tuple[Any, ...]],
    then: list[tuple[Any, ...]],
) -> None:
    from orderops.domain.stock import StockRecord
    from orderops.services.stock import import_stock
    from orderops.store.database import Database

    url, prefix = fresh_database()
    db = Database(url)
    try:
        records = [StockRecord(prefix + sku, where, 3) for sku in SKUS for where in BINS]
        import_stock(db, records, ACTOR)
        shop = Shop(db, prefix)
        for step in [*first, *then]:  # a few orders first: most steps need one
            try:
                outcome = shop.do(*step)
            except (Conflict, TransitionRefused) as refused:  # fine, if nothing below broke
                outcome = f"refused ({type(refused).__name__})"
            event(f"{step[0]}: {outcome}")
            assert_invariants(db, prefix)
    finally:
        db.close()


class Shop:
    """The operators' actions, through the services the commands call."""

    def __init__(self, db: Any, prefix: str) -> None:
        self.db, self.prefix = db, prefix
        self.numbers: list[str] = []

    def do(self, kind: str, value: Any, option: Any = None) -> str:
        """Take one step; what came of it, in a word (for Hypothesis' statistics)."""
        from orderops.services.orders import cancel_order, hold_order, release_order
        from orderops.services.processing import process_orders
        from orderops.services.stock import change_stock

        db = self.db
        if kind == "receive":
            number = f"{self.prefix}{len(self.numbers)}"
            self.receive(number, value, no_postal_code=option)
            self.numbers.append(number)
        elif kind == "process":
            return "some ready" if process_orders(db, [], ACTOR).counts()["ready"] else "none ready"
        elif kind in ("add", "set"):
            (sku, location), qty = value, option
            change_stock(db, self.prefix + sku, qty, location=location, actor=ACTOR,
                         reason=kind, relative=kind == "add")  # fmt: skip
        elif not self.numbers:
            return "no order yet"
        elif kind == "process named":
            process_orders(db, sorted({self.pick(n) for n in value}), ACTOR)
        elif kind == "update":
            self.receive(self.pick(value), option, update=True)
        elif kind == "hold":
            hold_order(db, self.pick(value), "customer called", PAST if option else None, ACTOR)
        elif kind == "release":
            release_order(db, self.pick(value), ACTOR)
        elif kind == "cancel":
            cancel_order(db, self.pick(value), "changed mind", ACTOR)
        return "done"

    def pick(self, n: int) -> str:
        return self.numbers[n % len(self.numbers)]

    def receive(
        self,
        number: str,
        lines: list[tuple[str, int]],
        *,
        update: bool = False,
        no_postal_code: bool = False,
    ) -> None:
        from orderops.formats.order_files import build_orders
        from orderops.formats.records import RawLine, RawOrder
        from orderops.services.receiving import receive_orders

        fields = {"order_number": number, "customer_name": "Ada", "address1": "1 Road",
                  "city": "London", "country": "GB", "placed_at": "2026-11-20T10:00:00Z",
                  "postal_code": "" if no_postal_code else "N1 1AA"}  # fmt: skip
        raw_lines = [
            RawLine(n, {"sku": self.prefix + sku, "qty": str(qty)})
            for n, (sku, qty) in enumerate(lines, 1)
        ]
        records = build_orders([RawOrder("steps", 1, fields, lines=raw_lines)])
        receive_orders(self.db, records, ACTOR, update=update)


def assert_invariants(db: Any, prefix: str) -> None:
    with db.transaction(write=False) as session:
        orders, events, bins, reserved, wanted = (
            session.execute(text(sql), {"prefix": prefix + "%"}).all() for sql in _QUERIES
        )
    history: dict[int, list[Any]] = {order_id: [] for order_id, *_ in orders}
    for row in events:
        history[row.order_id].append(row)
    for order_id, number, status, held_from in orders:
        assert replay(number, history[order_id]) == (status, held_from), number
    reservations = {(sku, location): qty for sku, location, qty in reserved}
    allocated_per_sku: dict[str, int] = {}
    for sku, location, on_hand, allocated in bins:
        assert 0 <= allocated <= on_hand, (sku, location, on_hand, allocated)
        assert allocated == reservations.get((sku, location), 0), (sku, location)
        allocated_per_sku[sku] = allocated_per_sku.get(sku, 0) + allocated
    assert {sku: n for sku, n in allocated_per_sku.items() if n} == dict(wanted)


def replay(number: str, events: list[Any]) -> tuple[str | None, str | None]:
    """The status (and held_from) an order's events lead to, move by move."""
    status: Status | None = None
    held_from: Status | None = None
    for row in events:
        move = apply(number, status, Action(row.action), held_from)
        assert (move.from_status, move.to_status.value) == (
            Status(row.from_status) if row.from_status else None,
            row.to_status,
        ), (number, row)
        status, held_from = move.to_status, move.held_from
    return (status.value if status else None, held_from.value if held_from else None)


def text(sql: str) -> Any:
    from sqlalchemy import text as sql_text

    return sql_text(sql)


_QUERIES = (
    "SELECT id, order_number, status, held_from FROM orders WHERE order_number LIKE :prefix",
    "SELECT e.order_id, e.action, e.from_status, e.to_status FROM order_events e "
    "JOIN orders o ON o.id = e.order_id WHERE o.order_number LIKE :prefix ORDER BY e.id",
    "SELECT sku, location, on_hand, allocated FROM stock WHERE sku LIKE :prefix",
    "SELECT sku, location, sum(qty) FROM allocations WHERE sku LIKE :prefix GROUP BY sku, location",
    "SELECT l.sku, sum(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id "
    "WHERE l.sku LIKE :prefix AND (o.status = 'ready' "
    "OR (o.status = 'on_hold' AND o.held_from = 'ready')) GROUP BY l.sku",
)
