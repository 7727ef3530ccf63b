"""Issue 14, item 3: every output file (export -o, receive --rejects) is written by one
writer: devices and FIFOs in place, regular files replaced whole keeping their mode,
symlinks kept, and a bad path a one-line usage error that leaves nothing behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import generic_csv, run_orderops

from orderops.errors import OutputLost, UsageProblem
from orderops.formats.output_file import OutputFile, write_output

STOCK_HEADER = "sku,name,barcode,location,on_hand,reorder_point"
BAD_ROW = "X1,2026-11-20T10:00:00Z,,0,,Ada,not-an-email,,1 Road,,Town,,,GB,,GBP,,S,,1,1\n"


@pytest.fixture
def stocked(cli: Any, tmp_path: Path) -> str:
    """One bin in the database; what `export stock` writes for it."""
    source = tmp_path / "stock-in.txt"
    source.write_text("sku,on_hand\nTEA-1,5\n", encoding="utf-8")
    assert cli("stock", "import", str(source)).exit_code == 0
    return f"{STOCK_HEADER}\nTEA-1,,,MAIN,5,0\n"


def export_stock(
    db: str, output: str, umask: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    if umask is None:
        return run_orderops("export", "stock", "-o", output, db=db)
    env = {**os.environ, "ORDEROPS_DB": db}
    return subprocess.run(
        [sys.executable, "-m", "orderops", "export", "stock", "-o", output],
        capture_output=True, env=env, timeout=120, preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_an_export_to_a_fifo_is_written_into_the_fifo(db_url: str, stocked: str, tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = export_stock(db_url, str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received == [stocked.encode()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the FIFO, not a file renamed over it
    assert leftovers(tmp_path) == []


def test_an_export_to_dev_null_writes_into_the_device_and_leaves_it_a_device(
    db_url: str, stocked: str
):
    result = export_stock(db_url, "/dev/null")
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_export_to_a_full_device_is_exit_8_in_one_line(db_url: str, stocked: str):
    result = export_stock(db_url, "/dev/full")
    assert result.returncode == 8
    assert result.stderr == (
        b"error: the output could not be written: -o /dev/full: No space left on device\n"
    )


def test_an_export_through_a_symlink_replaces_the_file_and_keeps_the_symlink(
    db_url: str, stocked: str, tmp_path: Path
):
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to("real.csv")
    result = export_stock(db_url, str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "real.csv"
    assert real.read_bytes() == stocked.encode()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_an_export_through_a_symlink_to_dev_null_writes_the_device(
    db_url: str, stocked: str, tmp_path: Path
):
    link = tmp_path / "nowhere.csv"
    link.symlink_to("/dev/null")
    result = export_stock(db_url, str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_export_to_a_descriptor_path_writes_to_that_descriptor(
    db_url: str, stocked: str, tmp_path: Path
):
    # `-o /dev/stdout > out.csv`: the shell's file gets the rows, and is not replaced.
    out = tmp_path / "out.csv"
    with out.open("wb") as stdout:
        inode = os.fstat(stdout.fileno()).st_ino
        result = subprocess.run(
            [sys.executable, "-m", "orderops", "export", "stock", "-o", "/dev/stdout"],
            stdout=stdout, stderr=subprocess.PIPE, timeout=120,
            env={**os.environ, "ORDEROPS_DB": db_url},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == stocked.encode()
    assert out.stat().st_ino == inode


def test_an_export_to_a_directory_is_bad_usage_and_leaves_nothing(
    db_url: str, stocked: str, tmp_path: Path
):
    folder = tmp_path / "exports"
    folder.mkdir()
    result = export_stock(db_url, str(folder))
    assert result.returncode == 2
    assert result.stderr == f"error: -o: {folder} is a directory; give a file path\n".encode()
    assert list(folder.iterdir()) == []


def test_an_export_into_a_missing_folder_is_bad_usage(db_url: str, stocked: str, tmp_path: Path):
    result = export_stock(db_url, str(tmp_path / "no" / "such" / "stock.csv"))
    assert result.returncode == 2
    assert result.stderr == f"error: -o: no such folder: {tmp_path / 'no' / 'such'}\n".encode()
    assert not (tmp_path / "no").exists()


def test_an_export_over_a_file_keeps_its_mode_and_a_new_file_takes_the_umask(
    db_url: str, stocked: str, tmp_path: Path
):
    existing = tmp_path / "existing.csv"
    existing.write_text("old\n", encoding="utf-8")
    existing.chmod(0o604)
    assert export_stock(db_url, str(existing), umask=0o077).returncode == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o604
    assert existing.read_bytes() == stocked.encode()
    new = tmp_path / "new.csv"
    assert export_stock(db_url, str(new), umask=0o027).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o640  # not mkstemp's 0600
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("failure", "code"), [(OSError(28, "No space left on device"), 8), (RuntimeError("bug"), 1)]
)
def test_an_export_that_fails_while_writing_leaves_the_old_file_and_no_temporary_file(
    cli: Any, stocked: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    failure: BaseException, code: int,
):  # fmt: skip
    from orderops.formats import stock_export

    def half_then_fail(rows: Any, out: Any, format: str) -> None:
        out.write("sku,name\r\nhalf")
        raise failure

    monkeypatch.setattr(stock_export, "write_stock", half_then_fail)
    target = tmp_path / "stock.csv"
    target.write_text("old\n", encoding="utf-8")
    result = cli("export", "stock", "-o", str(target))
    assert result.exit_code == code, result.output
    if code == 8:
        assert result.stderr == (
            f"error: the output could not be written: -o {target}: No space left on device\n"
        )
    assert target.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []


def test_receive_rejects_to_a_fifo_come_after_the_commit(db_url: str, rows: Any, tmp_path: Path):
    source = generic_csv(tmp_path / "orders.csv", "F", 5)
    with source.open("a", encoding="utf-8") as file:
        file.write(BAD_ROW)
    fifo = tmp_path / "rejects"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run_orderops("receive", str(source), "--skip-invalid", "--rejects", str(fifo),
                          db=db_url)  # fmt: skip
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received[0].decode().splitlines()[1:] == [BAD_ROW.strip()]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert rows("SELECT COUNT(*) FROM orders") == [(5,)]


def test_receive_rejects_to_dev_null_and_to_a_directory(db_url: str, rows: Any, tmp_path: Path):
    source = generic_csv(tmp_path / "orders.csv", "N", 3)
    with source.open("a", encoding="utf-8") as file:
        file.write(BAD_ROW)
    refused = run_orderops("receive", str(source), "--skip-invalid", "--rejects", str(tmp_path),
                           db=db_url)  # fmt: skip
    assert refused.returncode == 2
    assert (
        refused.stderr
        == f"error: --rejects: {tmp_path} is a directory; give a file path\n".encode()
    )
    assert rows("SELECT COUNT(*) FROM orders") == [(0,)]
    kept = run_orderops("receive", str(source), "--skip-invalid", "--rejects", "/dev/null",
                        db=db_url)  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert rows("SELECT COUNT(*) FROM orders") == [(3,)]
    assert leftovers(tmp_path) == []


def test_the_writer_writes_bytes_whole_for_documents(tmp_path: Path):
    # PDFs and labels to come are bytes made in memory.
    target = tmp_path / "label.pdf"
    write_output(str(target), b"%PDF-1.7\n\x00\xff")
    assert target.read_bytes() == b"%PDF-1.7\n\x00\xff"
    write_output(str(target), "text\n")
    assert target.read_bytes() == b"text\n"


def test_the_writer_refuses_bad_paths_before_writing(tmp_path: Path):
    with pytest.raises(UsageProblem, match="^--rejects is empty"):
        OutputFile("", option="--rejects")
    with pytest.raises(UsageProblem, match="is a directory"):
        OutputFile(str(tmp_path))
    with pytest.raises(UsageProblem, match="no such folder"):
        OutputFile(str(tmp_path / "a" / "b.csv"))
    assert list(tmp_path.iterdir()) == []


def test_a_failure_to_put_the_file_in_place_is_output_lost_with_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    target = tmp_path / "out.csv"
    output = OutputFile(str(target))
    output.open().write("rows\n")

    def refuse(*_: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputLost, match=f"^-o {target}: Input/output error$"):
        output.finish()
    assert list(tmp_path.iterdir()) == []


def test_a_descriptor_path_other_than_stdout_or_stderr_is_refused_and_the_database_kept(
    tmp_path: Path,
) -> None:
    """/dev/fd/3 would be the database file orderops itself opened: never written."""
    db = tmp_path / "shop.db"
    assert (
        run_orderops("receive", str(generic_csv(tmp_path / "o.csv", "D", 3)), db=db).returncode == 0
    )
    for path in ("/dev/fd/3", "/proc/self/fd/3"):
        result = run_orderops("export", "orders", "-o", path, db=db)
        assert result.returncode == 2, result.stderr
        assert b"is not standard output or error" in result.stderr
    listed = run_orderops("list", db=db)
    assert listed.returncode == 0 and listed.stdout.endswith(b"3 orders\n")


def test_dev_stdout_appended_by_the_shell_is_appended_to(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    assert (
        run_orderops("receive", str(generic_csv(tmp_path / "o.csv", "A", 2)), db=db).returncode == 0
    )
    log = tmp_path / "log.txt"
    log.write_text("kept\n", encoding="utf-8")
    with log.open("a", encoding="utf-8") as out:
        result = subprocess.run(
            [sys.executable, "-m", "orderops", "export", "stock", "-o", "/dev/stdout"],
            stdout=out, stderr=subprocess.PIPE, env={**os.environ, "ORDEROPS_DB": str(db)},
            timeout=60,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert log.read_text(encoding="utf-8").startswith("kept\nsku,")


@pytest.mark.parametrize("what", ["orders", "stock"])
def test_an_empty_output_path_is_bad_usage_for_every_export(tmp_path: Path, what: str) -> None:
    db = tmp_path / "shop.db"
    assert (
        run_orderops("receive", str(generic_csv(tmp_path / "o.csv", "E", 1)), db=db).returncode == 0
    )
    result = run_orderops("export", what, "-o", "", db=db)
    assert result.returncode == 2
    assert result.stderr == b"error: -o is empty: give a file path, or '-' for standard output\n"
    assert result.stdout == b""
