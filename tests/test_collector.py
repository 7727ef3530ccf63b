"""Bulk runs pause the cyclic garbage collector: safe only while they make no cycles."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import generic_csv

from orderops.services.collector import collector_paused

Cli = Callable[..., Any]


def left_for_the_collector(cli: Cli, *args: str) -> int:
    """Objects in reference cycles that one command left behind."""
    gc.collect()
    gc.disable()
    try:
        result = cli(*args)
        assert result.exit_code == 0, result.output
        return gc.collect()
    finally:
        gc.enable()


def test_receive_and_process_leave_no_cycle_per_order(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat with the collector paused only if nothing makes a cycle per
    order. A few objects per batch or chunk are harmless (SQLAlchemy leaves some ten
    per receiving batch on PostgreSQL, one batch per 2,000 orders), so the large runs
    here span many small batches and chunks, and may leave under half an object
    more per extra order."""
    from orderops.formats import csv_orders
    from orderops.services import processing

    monkeypatch.setattr(csv_orders, "CHUNK_ROWS", 80)  # batches of 40 orders
    monkeypatch.setattr(processing, "CHUNK", 40)
    monkeypatch.setattr(processing, "MAX_CHUNK", 40)
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,on_hand\n" + "".join(
        f"SKU-{n},A-01-{n},400\n" for n in range(7)))  # fmt: skip
    assert cli("stock", "import", str(stock)).exit_code == 0
    # A first small run, so that what any first run sets up once is not counted.
    left_for_the_collector(cli, "receive", str(generic_csv(tmp_path / "w.csv", "W", 5)))
    left_for_the_collector(cli, "process")
    small = [
        left_for_the_collector(cli, "receive", str(generic_csv(tmp_path / "s.csv", "S", 40))),
        left_for_the_collector(cli, "process"),
    ]
    large = [
        left_for_the_collector(cli, "receive", str(generic_csv(tmp_path / "l.csv", "L", 400))),
        left_for_the_collector(cli, "process"),
    ]
    # 360 orders more: a cycle per order (one object at least) leaves 360 more.
    for few, more in zip(small, large, strict=True):
        assert more < few + 180, (small, large)


def test_the_collector_runs_again_after_a_bulk_run_even_a_failed_one() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a run that failed")
    assert gc.isenabled()


def test_a_collector_paused_before_the_run_stays_paused_after_it() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
