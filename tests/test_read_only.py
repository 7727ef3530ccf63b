"""Issue 14, item 6: commands that only read work on a database they cannot write,
and never give an empty or foreign file a schema; no HOME is one line, exit 6."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ON_POSTGRES, ORDER_YAML, run_orderops

from orderops.store import schema

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files, folders and HOME")

READ_COMMANDS = [
    ("list",),
    ("track", "1001"),
    ("stock", "list"),
    ("export", "orders"),
    ("export", "stock"),
    ("db", "status"),
]


def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind / / && mount -o remount,bind,ro / /"],
        capture_output=True, timeout=30,
    )  # fmt: skip
    return probe.returncode == 0


read_only_mounts = pytest.mark.skipif(
    not _can_mount_read_only(),
    reason="needs `unshare -m` and a read-only bind mount (a read-only folder even for root)",
)


def run_in_read_only_folder(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """orderops ARGS with `folder` mounted read-only (a private mount namespace): no one,
    root included, can create or change a file in it."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && shift 0 && exec "$@"'
    env = {k: v for k, v in os.environ.items() if k != "ORDEROPS_DEBUG"}
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(folder),
         sys.executable, "-m", "orderops", "--db", str(folder / "shop.db"), *args],
        capture_output=True, env=env, timeout=120,
    )  # fmt: skip


def a_shop(folder: Path) -> Path:
    """A WAL database with order 1001 and a bin, closed (no -wal file left)."""
    folder.mkdir()
    db = folder / "shop.db"
    assert run_orderops("receive", "-", db=db, input=ORDER_YAML.encode()).returncode == 0
    stock = folder.parent / "stock.csv"
    stock.write_text("sku,on_hand\nMUG-WHITE,4\n", encoding="utf-8")
    assert run_orderops("stock", "import", str(stock), db=db).returncode == 0
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]
    return db


@read_only_mounts
@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_commands_work_on_a_database_in_a_read_only_folder(
    tmp_path: Path, args: tuple[str, ...]
):
    folder = tmp_path / "ro"
    db = a_shop(folder)
    before = db.read_bytes()
    result = run_in_read_only_folder(folder, *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert b"1001" in result.stdout or b"MUG-WHITE" in result.stdout or b"0004" in result.stdout
    assert db.read_bytes() == before


@read_only_mounts
def test_a_write_command_in_a_read_only_folder_is_one_line_exit_6(tmp_path: Path):
    folder = tmp_path / "ro"
    a_shop(folder)
    result = run_in_read_only_folder(folder, "hold", "1001", "--reason", "check")
    assert result.returncode == 6
    assert result.stderr.count(b"\n") == 1 and result.stderr.startswith(b"error: ")


@read_only_mounts
def test_a_database_in_use_in_a_read_only_folder_says_the_folder(tmp_path: Path):
    # A -wal file there (a writer connected, or one that crashed): reading it needs
    # the -shm file, which cannot be made in that folder.
    folder = tmp_path / "ro"
    db = a_shop(folder)
    (folder / "shop.db-wal").write_bytes(b"")
    result = run_in_read_only_folder(folder, "list")
    assert result.returncode == 6
    assert (
        result.stderr
        == (
            f"error: cannot read {db} read-only: SQLite needs to write its shop.db-shm file "
            f"beside it and the folder {folder} is not writable; make the folder writable or "
            "copy the database to one that is\n"
        ).encode()
    )


def test_a_read_command_on_an_empty_file_gives_it_no_schema(tmp_path: Path):
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    for args in READ_COMMANDS[:5]:
        result = run_orderops(*args, db=db)
        assert result.returncode == 3, (args, result.stderr)
        assert (
            result.stderr
            == (
                f"error: {db} holds no orderops database (it is empty); `orderops receive` or "
                "`orderops db upgrade` creates one\n"
            ).encode()
        )
    status = run_orderops("db", "status", db=db)
    assert status.returncode == 0, status.stderr
    assert db.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]  # no -wal, -shm, journal


def test_a_read_command_on_another_programs_database_leaves_it_alone(tmp_path: Path):
    db = tmp_path / "cats.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE cats (name TEXT)")
    connection.close()
    before = db.read_bytes()
    result = run_orderops("list", db=db)
    assert result.returncode == 6
    assert result.stderr.startswith(b"error: the database holds other tables (cats)")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cats.db"]


def test_a_read_command_on_an_older_schema_says_to_upgrade_and_does_not(
    cli, db_path: Path, tmp_path: Path
):
    from test_migrations import _alembic

    assert cli("receive", "-", input=ORDER_YAML).exit_code == 0
    _alembic(f"sqlite:///{db_path}", "downgrade", "0002")
    result = run_orderops("list", db=db_path)
    assert result.returncode == 6
    assert (
        result.stderr
        == (
            f"error: the database's schema (0002) is older than this orderops ({schema.HEAD}); "
            "run `orderops db upgrade` first (commands that only read do not upgrade it)\n"
        ).encode()
    )
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0002",)
        ]
    connection.close()
    assert run_orderops("db", "upgrade", db=db_path).returncode == 0
    assert run_orderops("list", db=db_path).returncode == 0


def test_a_read_command_writes_nothing_into_a_database_it_could_write(cli, db_path: Path):
    assert cli("receive", "-", input=ORDER_YAML).exit_code == 0
    before = db_path.read_bytes()
    mtime = db_path.stat().st_mtime_ns
    for args in READ_COMMANDS:
        assert run_orderops(*args, db=db_path).returncode == 0, args
    assert db_path.read_bytes() == before
    assert db_path.stat().st_mtime_ns == mtime


def _env_without_home(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HOME", "XDG_DATA_HOME", "ORDEROPS_DB", "ORDEROPS_DEBUG")}  # fmt: skip
    return {**env, **extra}


@pytest.mark.parametrize("args", [("list",), ("receive", "-")], ids=" ".join)
def test_without_home_a_command_names_db_and_orderops_db(args: tuple[str, ...]):
    result = subprocess.run(
        [sys.executable, "-m", "orderops", *args],
        input=ORDER_YAML.encode(), capture_output=True, env=_env_without_home(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 6
    assert result.stderr == (
        b"error: HOME is not set, so there is no default database: "
        b"give --db FILE or set ORDEROPS_DB\n"
    )


def test_with_an_unusable_home_a_write_command_names_db_and_orderops_db(tmp_path: Path):
    home = tmp_path / "home"
    home.write_text("a file, not a folder", encoding="utf-8")  # unusable even for root
    result = subprocess.run(
        [sys.executable, "-m", "orderops", "receive", "-"],
        input=ORDER_YAML.encode(), capture_output=True, timeout=120,
        env=_env_without_home(HOME=str(home)),
    )  # fmt: skip
    assert result.returncode == 6
    folder = home / ".local" / "share" / "orderops"
    assert (
        result.stderr
        == (
            f"error: cannot make the default database's folder {folder}: Not a directory; "
            "give --db FILE or set ORDEROPS_DB\n"
        ).encode()
    )
    listed = subprocess.run(
        [sys.executable, "-m", "orderops", "list"],
        capture_output=True, timeout=120, env=_env_without_home(HOME=str(home)),
    )  # fmt: skip
    assert listed.returncode == 3
    assert listed.stderr.endswith(b", or give --db FILE or set ORDEROPS_DB\n")
