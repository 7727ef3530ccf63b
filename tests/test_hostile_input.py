"""Hostile and unlucky input is refused with exit 4 (a file) or 2 (an option), in
the user's words, quickly, and writes nothing: never an internal error."""

from __future__ import annotations

import time

import pytest
from conftest import ORDER_YAML, run_orderops

STOCK_CSV = "sku,name,on_hand\nMUG-WHITE,White mug,5\nTEA-EARLGREY-100,Earl Grey,5\n"


def billion_laughs(levels: int = 12) -> str:
    """An order whose name stands for 9**levels values: a few hundred bytes."""
    anchors = ['laugh0: &l0 ["ha","ha","ha","ha","ha","ha","ha","ha","ha"]']
    for n in range(1, levels):
        anchors.append(f"laugh{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(
        [
            'order_number: "B1"',
            *anchors,
            f"customer_name: *l{levels - 1}",
            *ORDER_YAML.splitlines()[6:],
        ]
    )


def shared_lines(orders: int = 3000, lines: int = 300) -> str:
    """Orders that all alias one long list of lines: 280 KB for 900,000 lines."""
    out = ['- order_number: "S0"', "  customer_name: Ada", "  address1: x", "  city: y",
           "  country: GB", "  lines: &lines"]  # fmt: skip
    out += [f"    - {{sku: SKU-{n}, qty: 1}}" for n in range(lines)]
    out += [
        f"- {{order_number: 'S{n}', customer_name: Ada, address1: x, city: y, country: GB, "
        "lines: *lines}"
        for n in range(1, orders)
    ]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (billion_laughs(), 2, "an anchor (&name)"),
        (shared_lines(), 6, "an anchor (&name)"),
        ('order_number: "1"\ncustomer_name: *nobody\n', 2, "an alias (*name)"),
    ],
    ids=["billion-laughs", "shared-lines", "alias-alone"],
)
def test_yaml_anchors_and_aliases_in_an_order_file_are_refused_within_a_second(
    cli, rows, order_file, text: str, line: int, what: str
) -> None:
    path = order_file(text)
    started = time.perf_counter()
    result = cli("receive", str(path))
    took = time.perf_counter() - started
    assert result.exit_code == 4, result.output
    assert result.stderr == (
        f"error: {path}:{line}: {what} is not accepted: YAML anchors and aliases have no "
        "use in this file; nothing was written\n"
    )
    assert took < 5, f"took {took:.1f} s"  # milliseconds, in fact
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_an_ampersand_or_asterisk_in_a_value_is_only_text(cli, rows, order_file) -> None:
    text = ORDER_YAML.replace("Ada Lovelace", "Tom & Jerry *Ltd*")
    result = cli("receive", str(order_file(text)))
    assert result.exit_code == 0, result.output
    assert rows("SELECT customer_name FROM orders") == [("Tom & Jerry *Ltd*",)]


def test_yaml_anchors_in_a_stock_file_are_refused(cli, rows, order_file) -> None:
    text = "- &row {sku: MUG-WHITE, on_hand: 5}\n- *row\n"
    path = order_file(text)
    result = cli("stock", "import", str(path))
    assert result.exit_code == 4, result.output
    assert f"error: {path}:1: an anchor (&name) is not accepted" in result.stderr
    assert rows("SELECT count(*) FROM stock") == [(0,)]


HEADER = "order_number,customer_name,address1,city,country,sku,qty\n"
GOOD_ROW = "{n},Bob,1 Rue B,Paris,FR,MUG-WHITE,1\n"


def test_a_quote_never_closed_in_a_large_order_csv_is_refused_with_its_line(
    cli, rows, order_file
) -> None:
    # 5,000 good orders, then one stray quote that swallows 50,000 more rows (over 1 MiB).
    good = "".join(GOOD_ROW.format(n=f"G{n}") for n in range(5000))
    rest = "".join(GOOD_ROW.format(n=f"R{n}") for n in range(50_000))
    path = order_file(HEADER + good + 'X1,"Ada,12 A,London,GB,MUG-WHITE,1\n' + rest, ".csv")
    result = cli("receive", str(path))
    assert result.exit_code == 4, result.output
    assert result.stderr == _cell_too_long(path, 5002)
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def _cell_too_long(path: object, line: int) -> str:
    """The one line a CSV whose quote is never closed is refused with."""
    return (
        f"error: {path}:{line}: has a cell longer than 1,048,576 characters, the most orderops "
        'reads (a quote (") opened on this row and never closed?); nothing was written\n'
    )


def test_a_cell_over_the_csv_modules_own_limit_but_within_ours_is_read(
    cli, rows, order_file
) -> None:
    # 200 KiB of note: over Python's 128 KiB default, under 1 MiB; judged by its rule.
    note = "n" * 200_000
    header = HEADER.rstrip("\n") + ",note\n"
    path = order_file(header + GOOD_ROW.format(n="N1").rstrip("\n") + f",{note}\n", ".csv")
    result = cli("receive", str(path))
    assert result.exit_code == 4, result.output
    assert f"error: {path}:2: column 'note': value 'nnn" in result.stderr
    assert "is longer than" in result.stderr
    assert "internal error" not in result.stderr


def test_a_quote_never_closed_in_a_stock_csv_is_refused_with_its_line(
    cli, rows, order_file
) -> None:
    path = order_file('sku,on_hand\nMUG-WHITE,1\n"TEA,1\n' + "B,1\n" * 300_000, ".csv")
    result = cli("stock", "import", str(path))
    assert result.exit_code == 4, result.output
    assert result.stderr == _cell_too_long(path, 3)
    assert rows("SELECT count(*) FROM stock") == [(0,)]


def test_a_placed_time_at_the_calendars_edge_is_refused_as_bad_data(cli, rows, order_file) -> None:
    for placed, line in (("0001-01-01", 2), ("9999-12-31T23:59:59", 2), ("0001-01-01T00:00Z", 2)):
        path = order_file(ORDER_YAML.replace("2026-11-20T14:03:00+01:00", placed))
        result = cli("receive", str(path))
        assert result.exit_code == 4, result.output
        assert result.stderr == (
            f"error: {path}:{line}: column 'placed_at': value '{placed}': is out of the range "
            "of dates (years 2 to 9998); nothing was written\n"
        )
    assert rows("SELECT count(*) FROM orders") == [(0,)]


@pytest.mark.parametrize("until", ["0001-01-01", "9999-12-31T23:59:59-05:00", "9999-12-31"])
def test_hold_until_the_calendars_edge_is_bad_usage(cli, rows, received, until: str) -> None:
    result = cli("hold", received, "--reason", "check", "--until", until)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: --until '{until}' is out of the range of dates (years 2 to 9998)\n"
    )
    assert rows("SELECT status FROM orders") == [("received",)]


def test_export_bounds_at_the_calendars_edges_mean_no_bound(cli, received) -> None:
    def exported(*bounds: str) -> int:
        result = cli("export", "orders", *bounds)
        assert result.exit_code == 0, result.output
        return len(result.stdout.splitlines()) - 1  # the header

    assert exported("--until", "9999-12-31") == 2  # the order's two lines
    assert exported("--since", "0001-01-01") == 2
    assert exported("--since", "0001-01-01", "--until", "9999-12-31") == 2
    assert exported("--since", "9999-12-31") == 0
    assert exported("--until", "0001-01-01") == 0


EDGE_ORDERS = "\n".join(
    ORDER_YAML.replace('"1001"', f'"{number}"')
    .replace("2026-11-20T14:03:00+01:00", placed)
    .replace("order_number", "- order_number")
    .replace("\n", "\n  ")
    .rstrip()
    for number, placed in (("EARLY", "0002-01-01T00:00:00Z"), ("LATE", "9998-12-31T23:59:59Z"))
)


@pytest.mark.parametrize(
    "tz", ["Pacific/Kiritimati", "Etc/GMT+12", "UTC-14", "garbage", "<+25>-25", ":/nowhere"]
)
def test_times_at_the_calendars_edges_show_in_any_time_zone(db_path, tz: str) -> None:
    received = run_orderops("receive", "-", db=db_path, input=EDGE_ORDERS.encode())
    assert received.returncode == 0, received.stderr
    env = {"TZ": tz}
    hold = run_orderops("hold", "LATE", "--reason", "x", "--until", "9998-12-31T23:59Z",
                        db=db_path, env=env)  # fmt: skip
    assert hold.returncode == 0, hold.stderr
    shown = ""
    for args in (("list",), ("track", "EARLY"), ("track", "LATE")):
        result = run_orderops(*args, db=db_path, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == b""
        shown += result.stdout.decode()
    assert "0001-12-31" in shown or "0002-01-01" in shown
    assert "9998-12-31" in shown or "9999-01-01" in shown


def test_a_time_zone_no_local_time_can_be_had_in_is_bad_usage_for_a_local_time(
    db_path,
) -> None:
    naive = ORDER_YAML.replace("2026-11-20T14:03:00+01:00", "2026-11-20T14:03:00")
    result = run_orderops("receive", "-", db=db_path, input=naive.encode(), env={"TZ": "<+25>-25"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode() == (
        "error: the time zone TZ='<+25>-25' has an offset of a day or more, which orderops "
        "cannot use for local times: set TZ to a zone such as Europe/London or UTC\n"
    )
    assert run_orderops("list", "--json", db=db_path).stdout.strip() == b"[]"


def _stock(cli, order_file) -> None:
    result = cli("stock", "import", str(order_file(STOCK_CSV, ".csv")))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("set", "MUG-WHITE", "9223372036854775807"),
         "QTY must be between 0 and 999,999,999, not 9,223,372,036,854,775,807"),
        (("set", "MUG-WHITE", "1000000000"),
         "QTY must be between 0 and 999,999,999, not 1,000,000,000"),
        (("add", "MUG-WHITE", "9223372036854775807"),
         "QTY must be between -999,999,999 and 999,999,999, not 9,223,372,036,854,775,807"),
        (("add", "MUG-WHITE", "-1000000000"),
         "QTY must be between -999,999,999 and 999,999,999, not -1,000,000,000"),
    ],
)  # fmt: skip
def test_a_stock_quantity_past_the_bound_is_bad_usage(
    cli, rows, order_file, args: tuple[str, ...], says: str
) -> None:
    _stock(cli, order_file)
    result = cli("stock", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {says}\n"
    assert rows("SELECT on_hand FROM stock WHERE sku = 'MUG-WHITE'") == [(5,)]
    assert rows("SELECT count(*) FROM stock_movements") == [(2,)]  # the import's


def test_a_delivery_that_would_take_a_bin_past_the_bound_is_refused_as_a_conflict(
    cli, rows, order_file
) -> None:
    _stock(cli, order_file)
    assert cli("stock", "set", "MUG-WHITE", "999999999").exit_code == 0
    result = cli("stock", "add", "MUG-WHITE", "1")
    assert result.exit_code == 5, result.output
    assert result.stderr == (
        "error: cannot bring MUG-WHITE in MAIN to 1,000,000,000 on hand: a bin holds at "
        "most 999,999,999 units; nothing was written\n"
    )
    assert rows("SELECT on_hand FROM stock WHERE sku = 'MUG-WHITE'") == [(999_999_999,)]
    taken = cli("stock", "add", "MUG-WHITE", "-999999999")
    assert taken.exit_code == 0, taken.output
    assert rows("SELECT on_hand FROM stock WHERE sku = 'MUG-WHITE'") == [(0,)]


def test_a_stock_file_count_past_the_bound_is_bad_data(cli, rows, order_file) -> None:
    path = order_file("sku,on_hand\nMUG-WHITE,9223372036854775807\n", ".csv")
    result = cli("stock", "import", str(path))
    assert result.exit_code == 4, result.output
    assert result.stderr == (
        f"error: {path}:2: column 'on_hand': value '9223372036854775807': is too large: "
        "at most 9 digits (999,999,999); nothing was written\n"
    )
    assert rows("SELECT count(*) FROM stock") == [(0,)]
