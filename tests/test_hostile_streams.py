"""Unlucky terminals and streams, through the real entry point: a stdout that cannot
encode a name, closed standard streams, a reader that goes away, and Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ORDER_YAML, generic_csv, run_orderops

NAME = "Ада Лавлейс 山田 😀"


def _orderops(db: Path, shell: str) -> subprocess.CompletedProcess[bytes]:
    """`orderops` run by sh, with the redirections in `shell` (`list >&-`)."""
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    env.pop("ORDEROPS_DEBUG", None)
    script = f'"$0" -m orderops {shell}'
    return subprocess.run(
        ["sh", "-c", script, sys.executable], capture_output=True, env=env, timeout=60
    )


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(sql).fetchone()[0])


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stdout_that_cannot_encode_a_name_gets_it_escaped(db_path: Path, encoding: str) -> None:
    order = ORDER_YAML.replace("Ada Lovelace", NAME)
    assert run_orderops("receive", "-", db=db_path, input=order.encode()).returncode == 0
    env = {"PYTHONIOENCODING": encoding}
    for args in (("list",), ("track", "1001")):
        result = run_orderops(*args, db=db_path, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stderr == b""
        assert b"\\u0410\\u0434\\u0430 \\u041b" in result.stdout  # Ада Л
    listed = run_orderops("list", "--json", db=db_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.isascii()
    assert json.loads(listed.stdout)[0]["customer_name"] == NAME  # JSON's own escapes
    missing = run_orderops("track", "Щ1", db=db_path, env=env)
    assert (missing.returncode, missing.stderr) == (3, b"error: no order \\u04291\n")


def test_receive_from_a_closed_stdin_is_one_line_and_writes_nothing(db_path: Path) -> None:
    assert run_orderops("db", "upgrade", db=db_path).returncode == 0
    for command in ("receive -", "stock import -"):
        result = _orderops(db_path, f"{command} <&-")
        assert result.returncode == 3, result.stderr
        assert result.stderr == b"error: cannot read standard input ('-'): it is closed\n"
        assert result.stdout == b""
    assert _count(db_path, "SELECT count(*) FROM orders") == 0


def test_a_closed_stdout_is_one_line_and_a_change_made_is_kept_and_said(
    db_path: Path, tmp_path: Path
) -> None:
    assert run_orderops("db", "upgrade", db=db_path).returncode == 0
    listed = _orderops(db_path, "list >&-")
    assert listed.returncode == 8, listed.stderr
    assert listed.stderr == b"error: the output could not be written: standard output is closed\n"
    order = tmp_path / "order.yaml"
    order.write_text(ORDER_YAML, encoding="utf-8")
    received = _orderops(db_path, f"receive '{order}' >&-")
    assert received.returncode == 8, received.stderr
    assert received.stderr == (
        b"warning: orderops receive was recorded, but its output could not be written: "
        b"standard output is closed\n"
    )
    # The database did not take descriptor 1 as its own: it is whole.
    assert _count(db_path, "SELECT count(*) FROM orders") == 1
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_an_error_with_stderr_closed_is_not_written_to_stdout(db_path: Path) -> None:
    result = _orderops(db_path, "track NOPE 2>&-")
    assert result.returncode == 3
    assert result.stdout == b""


@pytest.fixture(scope="module")
def many_orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of 20,000 received orders."""
    folder = tmp_path_factory.mktemp("many")
    db = folder / "orderops.db"
    result = run_orderops("receive", str(generic_csv(folder / "many.csv", "M", 20_000)), db=db)
    assert result.returncode == 0, result.stderr
    return db


@pytest.mark.parametrize(
    "args", [("list",), ("list", "--json"), ("export", "orders"), ("export", "orders", "-o", "-")]
)
def test_a_reader_that_goes_away_ends_a_read_quietly_with_0(
    many_orders: Path, args: tuple[str, ...]
) -> None:
    env = {**os.environ, "ORDEROPS_DB": str(many_orders)}
    process = subprocess.Popen(
        [sys.executable, "-m", "orderops", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # as `head -1` does, then goes away
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""
    assert first.startswith(b"[" if "--json" in args else b"order")


def _interrupted(db: Path, args: list[str], part_way: Callable[[], bool]) -> tuple[int, str]:
    """Run orderops ARGS, send SIGINT as soon as `part_way()`, and return the exit code
    and stderr."""
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    env.pop("ORDEROPS_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "orderops", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None and not part_way():
        time.sleep(0.005)
    assert process.poll() is None, "the command ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr.decode()


ORDERS = 60_000


def test_ctrl_c_during_receive_says_so_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "orderops.db"
    assert run_orderops("db", "upgrade", db=db).returncode == 0
    rows = generic_csv(tmp_path / "big.csv", "C", 20_000).read_bytes()
    # The file comes through a FIFO: half of it, then Ctrl-C while receive is part-way
    # through its one transaction, reading and checking what came.
    fifo = tmp_path / "orders.csv"
    os.mkfifo(fifo)
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    env.pop("ORDEROPS_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "orderops", "receive", "--format", "csv", str(fifo)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    with fifo.open("wb") as writer:
        writer.write(rows[: len(rows) // 2])  # returns once nearly all of it is read
        writer.flush()
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (130, b"error: interrupted; nothing more was written\n")
    assert _count(db, "SELECT count(*) FROM orders") == 0
    assert _count(db, "SELECT count(*) FROM order_lines") == 0


@pytest.mark.slow
def test_ctrl_c_during_process_says_what_was_committed_and_exits_130(tmp_path: Path) -> None:
    db = tmp_path / "orderops.db"
    received = run_orderops("receive", str(generic_csv(tmp_path / "big.csv", "P", ORDERS)), db=db)
    assert received.returncode == 0, received.stderr
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,on_hand\n" + "".join(f"SKU-{n},999999\n" for n in range(7)))
    assert run_orderops("stock", "import", str(stock), db=db).returncode == 0
    ready = "SELECT count(*) FROM orders WHERE status = 'ready'"
    code, stderr = _interrupted(db, ["process"], lambda: _count(db, ready) > 0)
    assert code == 130, stderr
    said = re.fullmatch(
        r"error: processed ([\d,]+) of 60,000 orders \(([\d,]+) ready, 0 backordered, "
        r"0 held\) before: interrupted; nothing more was written; run `orderops process` "
        r"again for the rest\n",
        stderr,
    )
    assert said, stderr
    assert _count(db, ready) == int(said.group(1).replace(",", "")) > 0


def test_a_ctrl_c_that_lands_in_a_callback_is_raised_again_not_dropped() -> None:
    from orderops.cli.interrupts import interrupts_delivered

    class LandsInDel:
        def __del__(self) -> None:
            raise KeyboardInterrupt  # as SIGINT does, coming while a __del__ runs

    went_on = False
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), interrupts_delivered():
        LandsInDel()  # Python drops the exception: "Exception ignored in ..."
        time.sleep(30)  # the interrupt is raised again here, in a moment
        went_on = True
    assert not went_on
    assert time.monotonic() - started < 10


def test_a_command_line_value_that_is_not_utf8_is_bad_usage_and_writes_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "orderops.db"
    orders = tmp_path / "order.yaml"
    orders.write_text(ORDER_YAML, encoding="utf-8")
    assert run_orderops("receive", str(orders), db=db).returncode == 0
    before = sqlite3.connect(db).execute("SELECT count(*) FROM order_events").fetchone()
    env = {**os.environ, "ORDEROPS_DB": str(db)}
    for args in ([b"track", b"\x9b2J"], [b"hold", b"1001", b"--reason", b"ok\xff\xfe"]):
        result = subprocess.run(
            [sys.executable, "-m", "orderops", *args], capture_output=True, env=env, timeout=60
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.count(b"\n") == 1
        assert b"is not UTF-8 text; nothing was written" in result.stderr
    after = sqlite3.connect(db).execute("SELECT count(*) FROM order_events").fetchone()
    assert after == before
