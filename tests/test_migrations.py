"""The schema: created on first use, left alone when current, refused when newer."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import ON_POSTGRES, ORDER_YAML, run_orderops

from orderops.store import schema

MIGRATIONS = Path(schema.__file__).parent / "migrations"


def test_first_use_creates_the_schema_at_head(cli, db_path, rows):
    assert not db_path.exists()
    assert cli("receive", "-", input=ORDER_YAML).exit_code == 0
    assert rows("SELECT version_num FROM alembic_version") == [(schema.HEAD,)]
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_database_at_head_opens_without_migrating(cli, db_path, monkeypatch):
    assert cli("db", "upgrade").exit_code == 0

    def must_not_run(engine):
        raise AssertionError("upgrade ran on a current database")

    monkeypatch.setattr(schema, "upgrade", must_not_run)
    result = cli("receive", "-", input=ORDER_YAML)
    assert result.exit_code == 0, result.output


def test_a_newer_database_is_refused_and_not_touched(db_path):
    assert run_orderops("db", "upgrade", db=db_path).returncode == 0
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    before = db_path.read_bytes()
    for args in (("list",), ("receive", "-"), ("db", "upgrade"), ("db", "status")):
        result = run_orderops(*args, db=db_path, input=ORDER_YAML.encode())
        assert result.returncode == 6, (args, result.stderr)
        assert result.stderr.startswith(b"error: the database's schema (9999_future) is newer")
    assert db_path.read_bytes() == before
    assert list(db_path.parent.glob(f"{db_path.name}-*")) == []  # no WAL left beside it


def _open_files(path: Path) -> int:
    """How many of this process's file descriptors are open on `path` (Linux)."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path.resolve()))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc")
def test_a_database_refused_on_opening_leaves_no_file_open(db_path):
    # No one gets the refused Database to close: it must close what it opened itself.
    from orderops.errors import DatabaseError
    from orderops.store.database import Database

    assert run_orderops("db", "upgrade", db=db_path).returncode == 0
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.close()
    with pytest.raises(DatabaseError, match="newer than this orderops") as refused:
        Database(str(db_path))
    assert _open_files(db_path) == 0, refused.traceback


def test_db_status_before_and_after_upgrade(cli, db_path):
    missing = cli("db", "status")
    assert missing.exit_code == 3
    assert missing.stderr.startswith(f"error: no database at {db_path}")
    assert not db_path.exists()
    db_path.touch()  # an empty file is an empty SQLite database
    before = json.loads(cli("db", "status", "--json").stdout)
    assert before["revision"] is None
    assert before["pending"] == list(schema.REVISIONS)
    assert before["engine"] == "sqlite"
    assert str(db_path) in before["url"]
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0
    assert upgraded.stdout == f"upgraded schema from empty to {schema.HEAD}\n"
    after = cli("db", "status")
    assert "up to date" in after.stdout
    assert cli("db", "upgrade").stdout == f"schema already at {schema.HEAD}; nothing to do\n"


def test_the_known_revisions_are_the_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "orderops.store:migrations")
    scripts = ScriptDirectory.from_config(config)
    chain = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    assert tuple(chain) == schema.REVISIONS
    assert scripts.get_heads() == [schema.HEAD]


def _migrate_from_empty(url: str) -> None:
    """Run every migration script on an empty database, as Alembic does."""
    _alembic(url, "upgrade", "head")


def _alembic(url: str, command_name: str, revision: str) -> None:
    """Run an Alembic command (upgrade, downgrade) to `revision`, as Alembic does."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "orderops.store:migrations")
        config.attributes["connection"] = connection
        getattr(command, command_name)(config, revision)
    engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="an SQLite file, downgraded by Alembic")
def test_a_database_from_before_the_line_index_is_upgraded_with_its_orders(cli, db_path):
    """0003 indexes lines by (order, line number): they come out in line order with
    no sort. A database made before it keeps its orders through the upgrade."""
    assert cli("receive", "-", input=ORDER_YAML).exit_code == 0
    before = cli("track", "1001", "--json").stdout
    _alembic(f"sqlite:///{db_path}", "downgrade", "0002")

    def indexes() -> set[str]:
        with sqlite3.connect(db_path) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            return {name for (name,) in rows}

    assert "ix_order_lines_order_id_line_no" not in indexes()
    upgraded = run_orderops("db", "upgrade", db=db_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.decode() == f"upgraded schema from 0002 to {schema.HEAD}\n"
    assert "ix_order_lines_order_id_line_no" in indexes()
    assert cli("track", "1001", "--json").stdout == before


def test_the_migrated_schema_matches_the_tables(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import orderops.store.tables  # noqa: F401

    _migrate_from_empty(f"sqlite:///{tmp_path / 'migrated.db'}")
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    engine.dispose()
    assert differences == []
    assert version == [(schema.HEAD,)]


def _schema(path: Path) -> dict[tuple[str, str], object]:
    """Every table and index of an SQLite file: a table as its columns in order
    and its clauses in any order (constraints may come in another order); an
    index as its statement."""
    with sqlite3.connect(path) as connection:
        found: dict[tuple[str, str], object] = {}
        for kind, name, sql in connection.execute("SELECT type, name, sql FROM sqlite_master"):
            if kind == "table":
                columns = connection.execute(f"PRAGMA table_info({name})").fetchall()
                found[(kind, name)] = (columns, sorted(_clauses(sql)))
            else:
                found[(kind, name)] = " ".join((sql or "").split())
    return found


def _clauses(create_table: str) -> list[str]:
    """The comma-separated parts of a CREATE TABLE's body (commas in parentheses kept)."""
    body = create_table[create_table.index("(") + 1 : create_table.rindex(")")]
    parts, depth, part = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(" ".join(part.split()))
            part = ""
        else:
            part += char
    return [*parts, " ".join(part.split())]


def test_a_new_database_gets_the_schema_the_migrations_build(cli, db_path, tmp_path):
    """First use creates the tables at head in one step, without Alembic; the
    result must be what replaying every migration from empty gives."""
    assert cli("db", "upgrade").stdout == f"upgraded schema from empty to {schema.HEAD}\n"
    _migrate_from_empty(f"sqlite:///{tmp_path / 'migrated.db'}")
    created, migrated = _schema(db_path), _schema(tmp_path / "migrated.db")
    assert ("table", "orders") in created and ("index", "ix_orders_status_ship_by") in created
    assert created == migrated
    # The rows too: the version stamp, and whatever a migration may have inserted.
    inserted = [_inserts(path) for path in (db_path, tmp_path / "migrated.db")]
    assert inserted[0] == inserted[1]
    assert inserted[0] == [f"INSERT INTO \"alembic_version\" VALUES('{schema.HEAD}');"]


def _inserts(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [line for line in connection.iterdump() if line.startswith("INSERT")]


_CATALOG = (
    "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, "
    "is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace = 'public'::regnamespace",
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's catalog (SQLite: the test above)")
def test_a_new_postgresql_database_gets_the_schema_the_migrations_build():
    from conftest import _admin_engine, _url_for
    from sqlalchemy import create_engine, text

    from orderops.store.database import Database

    names = [f"orderops_schema_{os.getpid()}_{kind}" for kind in ("created", "migrated")]
    admin = _admin_engine()
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    catalogs = []
    try:
        Database(_url_for(names[0])).close()
        _migrate_from_empty(_url_for(names[1]))
        for name in names:
            engine = create_engine(_url_for(name))
            with engine.connect() as connection:
                catalogs.append([sorted(connection.execute(text(q)).all()) for q in _CATALOG])
            engine.dispose()
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    created, migrated = catalogs
    assert len(created[0]) > 60 and ("orders", "ck_orders_status") in {c[:2] for c in created[1]}
    assert created == migrated


def test_the_migrations_ship_inside_the_package():
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()


@pytest.mark.slow
def test_two_processes_using_a_new_database_at_once_both_succeed(db_path, tmp_path):
    import subprocess
    import sys

    other = ORDER_YAML.replace('"1001"', '"1002"')
    env = {"ORDEROPS_DB": str(db_path)}
    import os

    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "orderops", "receive", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )
        for _ in range(2)
    ]
    outputs = [
        p.communicate(text.encode(), timeout=60)
        for p, text in zip(procs, (ORDER_YAML, other), strict=True)
    ]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    listed = run_orderops("list", "--json", db=db_path)
    assert sorted(o["order_number"] for o in json.loads(listed.stdout)) == ["1001", "1002"]


def test_a_database_of_something_else_is_refused_and_not_touched(db_path):
    with sqlite3.connect(db_path) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    connection.close()
    before = db_path.read_bytes()
    result = run_orderops("receive", "-", db=db_path, input=ORDER_YAML.encode())
    assert result.returncode == 6
    assert b"error: the database holds other tables (recipes) and no orderops" in result.stderr
    assert db_path.read_bytes() == before
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    connection.close()
