"""The outcome that is printed is the outcome that happened.

Work after a commit never turns a success into a failure; a run that committed
part of its work says exactly what (exit 7); output that cannot be written after
a commit is a warning that the change was recorded (exit 8); and a delivery sent
twice with its delivery note (`stock add --ref`) adds once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ON_POSTGRES,
    before_statement,
    generic_csv,
    moves_orders,
    run_orderops,
    write_lock_held,
)
from sqlalchemy import event
from sqlalchemy.pool import Pool

Cli = Callable[..., Any]
Rows = Callable[..., list[tuple[Any, ...]]]

BAD_ROW = "BAD-1,,,,,Nobody,,,,,,,GB,,,,,SKU-1,Tea,not-a-number,1.00\n"


@pytest.fixture
def busy_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy database is given up on after a second, not thirty."""
    monkeypatch.setenv("ORDEROPS_BUSY_TIMEOUT", "1")


@pytest.fixture
def stocked(cli: Cli, tmp_path: Path) -> str:
    """Product TEA with 10 units in bin A-01-1."""
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,name,location,on_hand\nTEA,Tea,A-01-1,10\n", encoding="utf-8")
    result = cli("stock", "import", str(stock))
    assert result.exit_code == 0, result.output
    return "TEA"


@contextmanager
def lock_taken_after_the_commit(db_url: str) -> Iterator[None]:
    """Once orderops has inserted orders and handed its connection back (its
    transaction committed), another connection takes the write lock and keeps it
    to the end of the block."""
    inserted: list[str] = []
    with ExitStack() as stack:
        taken: list[bool] = []

        def on_checkin(*_: Any) -> None:
            if inserted and not taken:
                taken.append(True)
                stack.enter_context(write_lock_held(db_url))

        stack.enter_context(
            before_statement(lambda sql: sql.lstrip().upper().startswith("INSERT INTO ORDERS"),
                             lambda _cursor: inserted.append("orders"))
        )  # fmt: skip
        event.listen(Pool, "checkin", on_checkin)
        stack.callback(event.remove, Pool, "checkin", on_checkin)
        yield
        assert taken, "the lock was never taken after receive committed"


def test_receive_that_committed_succeeds_though_another_writer_takes_the_lock_after(
    cli: Cli, db_url: str, rows: Rows, tmp_path: Path, busy_soon: None
) -> None:
    """Issue 14: the statistics were refreshed after the commit, found the database
    busy and reported exit 6 "nothing was written" over 20,000 committed orders."""
    source = generic_csv(tmp_path / "orders.csv", "C", 3000)
    with source.open("a", encoding="utf-8") as file:
        file.write(BAD_ROW)
    rejects = tmp_path / "rejects.csv"
    with lock_taken_after_the_commit(db_url):
        result = cli("receive", str(source), "--skip-invalid", "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"received 3,000 orders (6,000 lines), refused 1 invalid order (1 row, written to "
        f"{rejects})\n"
    )
    assert rows("SELECT COUNT(*) FROM orders") == [(3000,)]
    assert rejects.read_text(encoding="utf-8").splitlines()[1:] == [BAD_ROW.strip()]


def test_receive_whose_rejects_file_cannot_be_put_in_place_keeps_its_orders_and_says_so(
    cli: Cli, rows: Rows, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderops.formats import order_files

    def disk_full(self: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(order_files.Rejects, "keep", disk_full)
    source = generic_csv(tmp_path / "orders.csv", "R", 20)
    with source.open("a", encoding="utf-8") as file:
        file.write(BAD_ROW)
    rejects = tmp_path / "rejects.csv"
    result = cli("receive", str(source), "--skip-invalid", "--rejects", str(rejects))
    assert result.exit_code == 8, result.output
    assert result.stdout == (
        f"received 20 orders (40 lines), refused 1 invalid order (1 row, not written to "
        f"{rejects})\n"
    )
    assert result.stderr.endswith(
        f"warning: orderops receive was recorded, but its output could not be written: the "
        f"rejects file {rejects} could not be written: [Errno 28] No space left on device\n"
    )
    assert rows("SELECT COUNT(*) FROM orders") == [(20,)]
    assert list(tmp_path.glob("*rejects*")) == []  # nor its temporary file


def test_receive_whose_rejects_folder_vanishes_during_the_run_keeps_its_orders_and_says_so(
    cli: Cli, rows: Rows, tmp_path: Path
) -> None:
    """The rejects file cannot even be begun after the commit: still output lost (8)."""
    import shutil

    source = generic_csv(tmp_path / "orders.csv", "V", 5)
    with source.open("a", encoding="utf-8") as file:
        file.write(BAD_ROW)
    folder = tmp_path / "out"
    folder.mkdir()
    rejects = folder / "rejects.csv"

    def inserts_orders(sql: str) -> bool:
        return "INSERT INTO orders" in sql

    with before_statement(inserts_orders, lambda _cursor: shutil.rmtree(folder)) as seen:
        result = cli("receive", str(source), "--skip-invalid", "--rejects", str(rejects))
    assert seen, "receive inserted no orders"
    assert result.exit_code == 8, result.output
    assert "warning: orderops receive was recorded, but its output could not be" in result.stderr
    assert rows("SELECT COUNT(*) FROM orders") == [(5,)]


def test_receive_that_cannot_get_the_lock_says_nothing_was_written_and_wrote_nothing(
    db_url: str, rows: Rows, tmp_path: Path
) -> None:
    source = generic_csv(tmp_path / "orders.csv", "C", 2000)
    assert rows("SELECT COUNT(*) FROM orders") == [(0,)]  # the database made, empty
    with write_lock_held(db_url):
        result = run_orderops("receive", str(source), db=db_url, env={"ORDEROPS_BUSY_TIMEOUT": "1"})
    assert result.returncode == 6, result.stderr
    assert result.stdout == b""
    assert b"nothing was written" in result.stderr
    assert rows("SELECT COUNT(*) FROM orders") == [(0,)]


# ---------------------------------------------------------------- process, partly done


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """`process` in chunks of 3 orders."""
    from orderops.services import processing

    monkeypatch.setattr(processing, "CHUNK", 3)
    monkeypatch.setattr(processing, "MAX_CHUNK", 3)


def _ten_orders(cli: Cli, tmp_path: Path) -> None:
    stock = tmp_path / "stock.csv"
    lines = [f"SKU-{n},A-01-{n + 1},100" for n in range(7)]
    stock.write_text("sku,location,on_hand\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert cli("stock", "import", str(stock)).exit_code == 0
    result = cli("receive", str(generic_csv(tmp_path / "orders.csv", "P", 10)))
    assert result.exit_code == 0, result.output


def _second(matches: Callable[[str], bool]) -> Callable[[str], bool]:
    """`matches`, but only for its second match (the second chunk)."""
    seen = []

    def second(sql: str) -> bool:
        if matches(sql):
            seen.append(sql)
            return len(seen) == 2
        return False

    return second


def _states(rows: Rows) -> dict[str, int]:
    return dict(rows("SELECT status, COUNT(*) FROM orders GROUP BY status"))  # type: ignore[arg-type]


def test_process_whose_later_chunk_conflicts_says_what_it_committed(
    cli: Cli, rows: Rows, tmp_path: Path, small_chunks: None
) -> None:
    _ten_orders(cli, tmp_path)

    def moved_meanwhile(cursor: Any) -> None:  # as if another process had moved them on
        cursor.connection.execute(
            "UPDATE orders SET status = 'cancelled' WHERE status = 'received'"
        )

    with before_statement(_second(moves_orders), moved_meanwhile) as seen:
        result = cli("process")
    assert seen
    assert result.exit_code == 7, result.output
    assert result.stderr.startswith(
        "error: processed 3 of 10 orders (3 ready, 0 backordered, 0 held) before: "
    )
    assert "nothing more was written" in result.stderr
    assert "nothing was written" not in result.stderr
    assert result.stderr.endswith("; run `orderops process` again for the rest\n")
    assert result.stdout == "processed 3 orders: 3 ready, 0 backordered, 0 held\n"
    assert _states(rows) == {"ready": 3, "received": 7}
    assert rows("SELECT COUNT(*) FROM allocations") == [(6,)]
    # The rest is done by the next run.
    again = cli("process")
    assert again.exit_code == 0, again.output
    assert _states(rows) == {"ready": 10}


def test_process_whose_later_chunk_finds_the_database_busy_says_what_it_committed(
    cli: Cli, db_url: str, rows: Rows, tmp_path: Path, small_chunks: None, busy_soon: None
) -> None:
    _ten_orders(cli, tmp_path)
    chunk_reads = _second(lambda sql: "SELECT id, order_number, status, held_from" in sql)
    with ExitStack() as stack:

        def another_writer(_cursor: Any) -> None:
            stack.enter_context(write_lock_held(db_url))

        with before_statement(chunk_reads, another_writer) as seen:
            result = cli("process", "--json")
        assert seen
    assert result.exit_code == 7, result.output
    assert result.stderr.startswith(
        "error: processed 3 of 10 orders (3 ready, 0 backordered, 0 held) before: "
        "the database is busy"
    )
    summary = json.loads(result.stdout)
    assert (summary["ready"], summary["not_processed"]) == (3, 7)
    assert summary["error"] == result.stderr.removeprefix("error: ").rstrip("\n")
    assert len(summary["orders"]) == 3
    assert _states(rows) == {"ready": 3, "received": 7}


def test_process_whose_first_chunk_fails_says_nothing_was_written(
    cli: Cli, db_url: str, rows: Rows, tmp_path: Path, small_chunks: None, busy_soon: None
) -> None:
    _ten_orders(cli, tmp_path)
    with write_lock_held(db_url):
        result = cli("process")
    assert result.exit_code == 6, result.output
    assert result.stderr.startswith("error: the database is busy")
    assert "nothing was written" in result.stderr
    assert _states(rows) == {"received": 10}


# ---------------------------------------------------------------- output after a commit


def _stock_add_to(stdout: Any, db_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "ORDEROPS_DB": db_url}
    env.pop("ORDEROPS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "orderops", "stock", "add", "TEA", "5", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        timeout=60,
    )


def _on_hand(rows: Rows) -> int:
    return int(rows("SELECT on_hand FROM stock WHERE sku = 'TEA'")[0][0])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("json_out", [False, True])
def test_stock_add_into_a_full_stdout_is_recorded_once_and_says_so(
    db_url: str, rows: Rows, stocked: str, json_out: bool
) -> None:
    with open("/dev/full", "wb") as full:
        result = _stock_add_to(full, db_url, *(["--json"] if json_out else []))
    assert result.returncode == 8
    assert result.stderr == (
        b"warning: orderops stock add was recorded, but its output could not be written: "
        b"No space left on device\n"
    )
    assert _on_hand(rows) == 15
    assert rows("SELECT on_hand_delta, reason FROM stock_movements ORDER BY id")[1:] == [
        (5, "delivery")
    ]


def test_stock_add_into_a_broken_pipe_or_a_closed_stdout_is_recorded_and_says_so(
    db_url: str, rows: Rows, stocked: str
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone away
    try:
        piped = _stock_add_to(write_end, db_url)
    finally:
        os.close(write_end)
    assert piped.returncode == 8
    assert piped.stderr.endswith(
        b"was recorded, but its output could not be written: Broken pipe\n"
    )
    closed = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m orderops stock add TEA 5 >&-'],
        stderr=subprocess.PIPE,
        env={**os.environ, "ORDEROPS_DB": db_url},
        timeout=60,
    )
    assert closed.returncode == 8
    assert closed.stderr == (
        b"warning: orderops stock add was recorded, but its output could not be written: "
        b"standard output is closed\n"
    )
    assert _on_hand(rows) == 20


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_receive_into_a_full_stdout_is_recorded_and_the_same_file_again_adds_nothing(
    db_url: str, rows: Rows, tmp_path: Path
) -> None:
    source = generic_csv(tmp_path / "orders.csv", "F", 50)
    env = {**os.environ, "ORDEROPS_DB": db_url}
    with open("/dev/full", "wb") as full:
        first = subprocess.run(
            [sys.executable, "-m", "orderops", "receive", str(source)],
            stdout=full, stderr=subprocess.PIPE, env=env, timeout=60,
        )  # fmt: skip
    assert first.returncode == 8
    assert first.stderr.startswith(b"warning: orderops receive was recorded, but its output")
    again = run_orderops("receive", str(source), db=db_url)
    assert again.returncode == 0
    assert again.stdout == b"received 0 orders (0 lines), skipped 50 already received\n"
    assert rows("SELECT COUNT(*) FROM orders") == [(50,)]


def test_a_read_command_into_a_broken_pipe_ends_quietly(db_url: str, tmp_path: Path) -> None:
    source = generic_csv(tmp_path / "orders.csv", "L", 200)
    assert run_orderops("receive", str(source), db=db_url).returncode == 0
    env = {**os.environ, "ORDEROPS_DB": db_url}
    for args in (["list"], ["list", "--json"]):
        listed = subprocess.run(
            ["sh", "-c", f'"{sys.executable}" -m orderops {" ".join(args)} | head -1'],
            capture_output=True, env=env, timeout=60,
        )  # fmt: skip
        assert listed.stderr == b"", args
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            alone = subprocess.run(
                [sys.executable, "-m", "orderops", *args],
                stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=60,
            )  # fmt: skip
        finally:
            os.close(write_end)
        assert (alone.returncode, alone.stderr) == (0, b""), args


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_read_command_into_a_full_stdout_is_an_error(db_url: str, stocked: str) -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "orderops", "stock", "list"],
            stdout=full, stderr=subprocess.PIPE, env={**os.environ, "ORDEROPS_DB": db_url},
            timeout=60,
        )  # fmt: skip
    assert result.returncode == 8
    assert result.stderr == b"error: the output could not be written: No space left on device\n"


# ---------------------------------------------------------------- stock add --ref


def test_the_same_delivery_note_twice_adds_once(cli: Cli, rows: Rows, stocked: str) -> None:
    first = cli("stock", "add", "TEA", "5", "--ref", "DN-100")
    assert first.exit_code == 0, first.output
    assert first.stdout == "TEA in A-01-1: +5; on hand 15, allocated 0, available 15\n"
    again = cli("stock", "add", "TEA", "5", "--ref", "DN-100")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("TEA in A-01-1: delivery DN-100 was already recorded on ")
    assert again.stdout.endswith("; nothing added; on hand 15, allocated 0, available 15\n")
    as_json = json.loads(cli("stock", "add", "TEA", "5", "--ref", "DN-100", "--json").stdout)
    assert (as_json["delta"], as_json["on_hand"], as_json["already_recorded"]) == (0, 15, True)
    assert as_json["ref"] == "DN-100" and as_json["recorded_at"].endswith("Z")
    assert _on_hand(rows) == 15
    assert rows("SELECT on_hand_delta, ref FROM stock_movements WHERE ref <> ''") == [(5, "DN-100")]


def test_the_same_delivery_note_with_another_quantity_is_a_conflict(
    cli: Cli, rows: Rows, stocked: str
) -> None:
    assert cli("stock", "add", "TEA", "5", "--ref", "DN-100").exit_code == 0
    result = cli("stock", "add", "TEA", "7", "--ref", "DN-100")
    assert result.exit_code == 5, result.output
    assert result.stderr.startswith("error: delivery DN-100 of TEA in A-01-1 was already recorded")
    assert "as +5, not +7; nothing was written" in result.stderr
    assert _on_hand(rows) == 15


def test_a_delivery_note_is_per_sku_and_bin(cli: Cli, rows: Rows, stocked: str) -> None:
    assert cli("stock", "add", "TEA", "5", "--ref", "DN-1").exit_code == 0
    other_bin = cli("stock", "add", "TEA", "3", "--ref", "DN-1", "--location", "B-01-1")
    assert other_bin.exit_code == 0, other_bin.output
    assert other_bin.stdout.startswith("TEA in B-01-1: +3")
    no_ref = cli("stock", "add", "TEA", "5", "--location", "A-01-1")
    assert no_ref.exit_code == 0, no_ref.output
    assert rows("SELECT location, on_hand FROM stock ORDER BY location") == [
        ("A-01-1", 20),
        ("B-01-1", 3),
    ]


@pytest.mark.parametrize("ref", ["", "  ", "x" * 65, "DN\x1b[2J"])
def test_a_bad_delivery_note_is_bad_usage(cli: Cli, rows: Rows, stocked: str, ref: str) -> None:
    result = cli("stock", "add", "TEA", "5", f"--ref={ref}")
    if ref == "":
        assert result.exit_code == 0  # an empty --ref is no ref
        return
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --ref ")
    assert _on_hand(rows) == 10


def test_stock_set_takes_no_delivery_note(cli: Cli, stocked: str) -> None:
    result = cli("stock", "set", "TEA", "5", "--ref", "DN-1")
    assert result.exit_code == 2
    assert "No such option: --ref" in result.stderr


@pytest.mark.slow
def test_the_same_delivery_note_from_several_processes_at_once_adds_once(
    db_url: str, rows: Rows, stocked: str
) -> None:
    env = {**os.environ, "ORDEROPS_DB": db_url}
    env.pop("ORDEROPS_DEBUG", None)
    command = [sys.executable, "-m", "orderops", "stock", "add", "TEA", "5", "--ref", "DN-9",
               "--json"]  # fmt: skip
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(6)
    ]
    results = [(proc.communicate(timeout=120), proc.returncode) for proc in procs]
    for (_, err), code in results:
        assert code == 0, err
    added = [json.loads(out)["already_recorded"] for (out, _), _ in results]
    assert sorted(added) == [False, True, True, True, True, True]
    assert _on_hand(rows) == 15
    assert rows("SELECT COUNT(*) FROM stock_movements WHERE ref = 'DN-9'") == [(1,)]


def test_the_database_refuses_a_delivery_note_recorded_twice(rows: Rows, stocked: str) -> None:
    """The partial unique index is the backstop: '' is not a ref, and repeats freely."""
    insert = (
        "INSERT INTO stock_movements (at, actor, sku, location, on_hand_delta, "
        "allocated_delta, reason, ref) VALUES (CURRENT_TIMESTAMP, 'x', 'TEA', 'A-01-1', 1, 0, "
        "'delivery', :ref)"
    )
    rows(insert, ref="")
    rows(insert, ref="")
    rows(insert, ref="DN-5")
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        rows(insert, ref="DN-5")


@pytest.mark.skipif(ON_POSTGRES, reason="an SQLite file, downgraded by Alembic")
def test_a_database_from_before_delivery_notes_is_upgraded_with_its_movements(
    cli: Cli, db_path: Path, rows: Rows, stocked: str
) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from orderops.store import schema

    engine = create_engine(f"sqlite:///{db_path}")
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "orderops.store:migrations")
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    engine.dispose()
    upgraded = run_orderops("db", "upgrade", db=db_path)
    assert upgraded.stdout.decode() == f"upgraded schema from 0003 to {schema.HEAD}\n"
    assert rows("SELECT on_hand_delta, ref FROM stock_movements") == [(10, "")]
    assert cli("stock", "add", "TEA", "5", "--ref", "DN-1").exit_code == 0
    assert cli("stock", "add", "TEA", "5", "--ref", "DN-1").exit_code == 0
    assert _on_hand(rows) == 15


def _process_into_a_full_stdout(db_url: str) -> subprocess.CompletedProcess[bytes]:
    with open("/dev/full", "wb") as full:
        return subprocess.run(
            [sys.executable, "-m", "orderops", "process"],
            stdout=full, stderr=subprocess.PIPE, env={**os.environ, "ORDEROPS_DB": db_url},
            timeout=60,
        )  # fmt: skip


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_process_with_nothing_to_do_records_nothing_so_a_full_stdout_is_an_error(
    db_url: str, stocked: str
) -> None:
    """Nothing was processed and no hold had expired: no "was recorded" warning."""
    result = _process_into_a_full_stdout(db_url)
    assert result.returncode == 8
    assert result.stderr == b"error: the output could not be written: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_process_that_allocated_into_a_full_stdout_says_it_was_recorded(
    db_url: str, rows: Rows, stocked: str, tmp_path: Path
) -> None:
    source = generic_csv(tmp_path / "orders.csv", "P", 3)
    assert run_orderops("receive", str(source), db=db_url).returncode == 0
    result = _process_into_a_full_stdout(db_url)
    assert result.returncode == 8
    assert result.stderr.startswith(b"warning: orderops process was recorded")
    assert rows("SELECT COUNT(*) FROM orders WHERE status = 'received'") == [(0,)]


@pytest.mark.skipif(ON_POSTGRES, reason="creates a new SQLite file to upgrade")
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_db_upgrade_into_a_full_stdout_says_it_was_recorded(tmp_path: Path) -> None:
    env = {**os.environ, "ORDEROPS_DB": str(tmp_path / "new.db")}
    with open("/dev/full", "wb") as full:
        first, again = (
            subprocess.run(
                [sys.executable, "-m", "orderops", "db", "upgrade"],
                stdout=full,
                stderr=subprocess.PIPE,
                env=env,
                timeout=60,
            )  # fmt: skip
            for _ in range(2)
        )
    assert (first.returncode, again.returncode) == (8, 8)
    assert first.stderr.startswith(b"warning: orderops db upgrade was recorded")
    assert again.stderr.startswith(b"error: the output could not be written")
