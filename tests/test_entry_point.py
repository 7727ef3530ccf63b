"""The real `orderops` process, as scripts and cron jobs meet it."""

from __future__ import annotations

import json
import re

from conftest import EXAMPLES, ORDER_YAML, run_orderops

ANSI = re.compile(rb"\x1b\[")


def test_version_and_help(db_path):
    version = run_orderops("--version", db=db_path)
    assert version.returncode == 0
    assert re.fullmatch(rb"orderops \d+\.\d+\.\d+\n", version.stdout)
    helped = run_orderops("--help", db=db_path)
    assert helped.returncode == 0
    for command in (b"receive", b"track", b"list", b"hold", b"release", b"cancel", b"db"):
        assert command in helped.stdout
    assert not db_path.exists(), "--help must not open the database"


def test_receive_from_stdin_then_track_as_json(db_path):
    received = run_orderops("receive", "-", db=db_path, input=ORDER_YAML.encode())
    assert received.returncode == 0, received.stderr
    assert received.stdout == b"received 1 order (2 lines)\n"
    tracked = run_orderops("track", "1001", "--json", db=db_path)
    assert tracked.returncode == 0
    assert json.loads(tracked.stdout)["status"] == "received"


def test_the_examples_are_received(db_path):
    result = run_orderops(
        "receive", str(EXAMPLES / "orders.yaml"), str(EXAMPLES / "order.yaml"), db=db_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"received 5 orders (7 lines)\n"
    listed = run_orderops("list", db=db_path)
    assert listed.returncode == 0
    assert not ANSI.search(listed.stdout), "no colour when stdout is not a terminal"
    assert b"Katherine Johnson" in listed.stdout


def test_each_error_is_one_line_on_stderr_with_its_exit_code_and_no_traceback(db_path, tmp_path):
    run_orderops("receive", "-", db=db_path, input=ORDER_YAML.encode())
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text(ORDER_YAML.replace("country: GB", "country: XX"))
    changed = ORDER_YAML.replace("qty: 2", "qty: 5").encode()
    not_a_db = tmp_path / "not-a-database.db"
    not_a_db.write_text("just text, not SQLite\n" * 100)
    cases = [
        (("no-such-command",), None, {}, 2),
        (("receive", "--no-such-option"), None, {}, 2),
        (("track",), None, {}, 2),
        (("track", "404"), None, {}, 3),
        (("receive", "missing.yaml"), None, {}, 3),
        (("receive", str(bad_yaml)), None, {}, 4),
        (("receive", "-"), changed, {}, 5),
        (("release", "1001"), None, {}, 5),
        (("list",), None, {"ORDEROPS_DB": str(not_a_db)}, 6),
        (("--db", str(tmp_path / "no" / "such" / "dir.db"), "receive", "-"), changed, {}, 6),
        (("--db", str(tmp_path / "typo.db"), "list"), None, {}, 3),
        (("--db", "", "list"), None, {}, 2),
    ]
    for args, stdin, env, code in cases:
        result = run_orderops(*args, db=db_path, input=stdin, env=env)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.startswith(b"error: "), (args, result.stderr)
        assert result.stderr.count(b"\n") == 1, (args, result.stderr)
        assert b"Traceback" not in result.stderr
        assert result.stdout == b""


def test_a_file_that_is_not_a_database_is_left_untouched(db_path, tmp_path):
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("shopping list\n" * 100)
    before = not_a_db.read_bytes()
    result = run_orderops("list", db=not_a_db, env={"ORDEROPS_DB": str(not_a_db)})
    assert result.returncode == 6
    assert not_a_db.read_bytes() == before


def test_an_internal_error_says_to_rerun_with_debug_and_debug_shows_the_traceback(
    cli, received, monkeypatch
):
    import orderops.services.orders as orders

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(orders, "list_orders", broken)
    result = cli("list")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: internal error: RuntimeError: boom (rerun with --debug for the traceback)\n"
    )
    debug = cli("--debug", "list")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "RuntimeError: boom" in debug.stderr


def test_db_option_takes_a_url_and_env_takes_a_path(tmp_path):
    first = tmp_path / "one.db"
    second = tmp_path / "two.db"
    by_url = run_orderops(
        "--db", f"sqlite:///{first}", "receive", "-", db=second, input=ORDER_YAML.encode()
    )
    assert by_url.returncode == 0, by_url.stderr
    assert first.exists() and not second.exists()
    listed = run_orderops("list", "--json", db=first)
    assert [o["order_number"] for o in json.loads(listed.stdout)] == ["1001"]


def test_bare_orderops_shows_the_help_and_no_empty_error(db_path):
    result = run_orderops(db=db_path)
    assert b"Usage" in result.stdout and b"receive" in result.stdout
    assert b"error:" not in result.stderr


def test_piped_tables_keep_each_row_on_one_line_without_trailing_blanks(db_path):
    long_name = "Maximiliane " * 12 + "von Hohenzollern-Sigmaringen"
    order = ORDER_YAML.replace("Ada Lovelace", long_name)
    assert run_orderops("receive", "-", db=db_path, input=order.encode()).returncode == 0
    listed = run_orderops("list", db=db_path).stdout.decode().splitlines()
    assert len(listed) == 3  # header, the order, the count
    assert long_name in listed[1] and "2026-11-22" in listed[1]
    assert all(line == line.rstrip() for line in listed)


def test_the_same_file_is_recognised_whatever_the_time_zone(db_path, tmp_path):
    naive = ORDER_YAML.replace("2026-11-20T14:03:00+01:00", "2026-11-20T14:03:00")
    first = run_orderops("receive", "-", db=db_path, input=naive.encode(),
                         env={"TZ": "America/New_York"})  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = run_orderops("receive", "-", db=db_path, input=naive.encode(),
                         env={"TZ": "Europe/Berlin"})  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert b"skipped 1 already received" in again.stdout
    tracked = json.loads(run_orderops("track", "1001", "--json", db=db_path).stdout)
    assert tracked["placed_at"] == "2026-11-20T19:03:00Z"  # 14:03 in New York


def test_stdin_can_be_read_only_once(db_path):
    result = run_orderops("receive", "-", "-", db=db_path, input=ORDER_YAML.encode())
    assert result.returncode == 2
    assert result.stderr == b"error: standard input ('-') can be read only once\n"
