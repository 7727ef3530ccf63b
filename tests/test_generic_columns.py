"""The generic CSV: what `receive` takes from it, and what it refuses, saying where.

A large generic file is read a chunk at a time, a plain chunk column by column
and any other order by order; both judge each field by the same rule. These
tests say what a user sees either way: the values received, or the message
and the exit code of a refusal. The properties at the end check that a CSV is
received exactly as the same orders sent as YAML (which is always read order
by order): the YAML is then recognised as already received.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderops.domain.orders import ORDER_FIELDS
from orderops.formats.cells import unescape_cell
from orderops.formats.csv_orders import CHUNK_ROWS, GENERIC_HEADER


def _csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> str:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header or GENERIC_HEADER)
        writer.writerows(rows)
    return str(path)


def _row(number: str, **given: str) -> list[str]:
    values = {"customer_name": "Ada Lovelace", "address1": "1 High St", "city": "London",
              "country": "GB", "sku": "TEA-1", "qty": "1"} | given  # fmt: skip
    return [number if name == "order_number" else values.get(name, "") for name in GENERIC_HEADER]


def _later(number: str, sku: str, qty: str = "1", price: str = "") -> list[str]:
    """A later row of an order that leaves the order's fields empty."""
    return [number] + [""] * (len(ORDER_FIELDS) - 1) + [sku, "", qty, price]


def _lines(rows: Any, number: str) -> list[tuple[Any, ...]]:
    return rows(
        "SELECT sku, name, qty, unit_price_minor FROM order_lines JOIN orders "
        "ON orders.id = order_id WHERE order_number = :n ORDER BY line_no",
        n=number,
    )


def _refused(result: Any, rows: Any) -> str:
    assert result.exit_code == 4, result.output
    assert result.stderr.endswith("; nothing was written\n")
    assert rows("SELECT count(*) FROM orders") == [(0,)]
    return str(result.stderr)


def test_a_plain_file_is_received_with_every_value(cli, rows, tmp_path) -> None:
    path = _csv(tmp_path / "f.csv", [
        _row(f"A{n}", email=f"a{n}@example.com", unit_price="1.50", priority=str(n % 3),
             ship_by="2026-12-01" if n % 2 else "", placed_at=f"2026-11-{1 + n % 28:02d}T10:00:00Z",
             currency="EUR" if n % 5 else "", note="Gift" if n == 7 else "")
        for n in range(50)
    ])  # fmt: skip
    result = cli("receive", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 50 orders (50 lines)\n"
    found = rows(
        "SELECT email, priority, ship_by, placed_at, currency, note FROM orders "
        "WHERE order_number IN ('A5', 'A7') ORDER BY order_number"
    )
    assert [(e, p, str(s), str(t)[:19], c, n) for e, p, s, t, c, n in found] == [
        ("a5@example.com", 2, "2026-12-01", "2026-11-06 10:00:00", "USD", ""),
        ("a7@example.com", 1, "2026-12-01", "2026-11-08 10:00:00", "EUR", "Gift"),
    ]
    assert rows("SELECT ship_by FROM orders WHERE order_number = 'A4'") == [(None,)]
    assert _lines(rows, "A7") == [("TEA-1", "", 1, 150)]


def test_later_rows_may_repeat_the_order_or_leave_it_empty(cli, rows, tmp_path) -> None:
    repeated = _row("8", phone="'+44 20", unit_price="2.5", placed_at="2026-01-02 03:04:05 +0200")
    path = _csv(tmp_path / "f.csv", [
        _row("7", email="ada@example.com", currency="JPY", unit_price="1200", note="Hi"),
        _later("7", "MUG", "2", "300"),
        repeated,
        [*repeated[:-4], "CUP", "Cup", "3", "1"],
    ])  # fmt: skip
    result = cli("receive", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "received 2 orders (4 lines)\n"
    assert _lines(rows, "7") == [("TEA-1", "", 1, 1200), ("MUG", "", 2, 300)]  # JPY: no decimals
    assert _lines(rows, "8") == [("TEA-1", "", 1, 250), ("CUP", "Cup", 3, 100)]
    phone, placed = rows("SELECT phone, placed_at FROM orders WHERE order_number = '8'")[0]
    assert phone == "+44 20"  # the spreadsheet escape is taken off
    assert str(placed).startswith("2026-01-02 01:04:05")


def test_a_later_row_may_give_what_the_first_left_empty(cli, rows, tmp_path) -> None:
    path = _csv(tmp_path / "f.csv", [_row("1"), _row("1", email="ada@example.com", sku="MUG")])
    assert cli("receive", path).exit_code == 0
    assert rows("SELECT email FROM orders") == [("ada@example.com",)]


_TWO_VALUES = {"placed_at": ("2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z"),
               "ship_by": ("2026-12-01", "2026-12-02"), "priority": ("1", "2"),
               "email": ("a@example.com", "b@example.com"), "country": ("GB", "US"),
               "currency": ("USD", "EUR")}  # fmt: skip


@pytest.mark.parametrize("field", ORDER_FIELDS[1:])
def test_a_later_row_that_disagrees_in_any_field_is_refused(cli, rows, tmp_path, field) -> None:
    first, other = _TWO_VALUES.get(field, ("x", "y"))
    path = _csv(tmp_path / "f.csv", [_row("1", **{field: first}), _row("1", **{field: other})])
    stderr = _refused(cli("receive", path), rows)
    assert stderr.startswith(
        f"error: {path}:3: column '{field}': value '{other}': "
        f"disagrees with line 2 of the same order ('{first}')"
    )


# Other arrangements of the generic columns than export's (order fields, then line
# fields): reversed; and the sku between two order fields.
_ARRANGEMENTS = {
    "reversed": GENERIC_HEADER[::-1],
    "sku amid": (*ORDER_FIELDS[:5], "sku", *ORDER_FIELDS[5:], "name", "qty", "unit_price"),
}


@pytest.mark.parametrize("arrangement", _ARRANGEMENTS)
@pytest.mark.parametrize("disagree", [False, True])
def test_columns_in_any_order_are_read_alike(cli, rows, tmp_path, arrangement, disagree) -> None:
    header = list(_ARRANGEMENTS[arrangement])
    assert sorted(header) == sorted(GENERIC_HEADER)
    in_order = [
        _row("7", email="ada@example.com", note="Hi", unit_price="1.50"),
        _row("7", email="ada@example.com", note="Bye" if disagree else "Hi", sku="MUG"),
        _later("7", "CUP", "3"),
        _row("8", city="Paris"),
    ]
    moved = [GENERIC_HEADER.index(name) for name in header]
    path = _csv(tmp_path / "f.csv", [[row[i] for i in moved] for row in in_order], header)
    result = cli("receive", path)
    if disagree:
        assert f"{path}:3: column 'note': value 'Bye': disagrees with line 2" in _refused(
            result, rows
        )
        return
    assert result.exit_code == 0, result.output
    assert [line[0] for line in _lines(rows, "7")] == ["TEA-1", "MUG", "CUP"]
    assert rows("SELECT note, city FROM orders ORDER BY order_number") == [
        ("Hi", "London"),
        ("", "Paris"),
    ]


@pytest.mark.parametrize(
    ("rows_given", "says"),
    [
        ([_row("1", qty="0")], ":2: column 'qty': value '0': must be at least 1"),
        ([_row("1"), _row("1")[:-1]], ":3: has 20 cells, the header has 21"),
        (
            [_row("1", unit_price="1.234")],
            ":2: column 'unit_price': value '1.234': has more than 2 decimals (a USD price)",
        ),  # fmt: skip
        ([_row("1", customer_name=" ")], ":2: column 'customer_name': is required"),
        ([_row("1", sku="")], ":2: column 'sku': is required"),
        ([_row("1", currency="XYZ")], ":2: column 'currency': value 'XYZ': is not an ISO 4217"),
        ([_row("1", country="England")], ":2: column 'country': value 'England': is not an ISO"),
        ([_row("1", email="a@@b")], ":2: column 'email': value 'a@@b': is not a valid e-mail"),
        ([_row("1", placed_at="yesterday")], ":2: column 'placed_at': value 'yesterday': is not"),
    ],
)
def test_a_bad_value_is_refused_with_its_line_and_column(
    cli, rows, tmp_path, rows_given, says
) -> None:
    path = _csv(tmp_path / "f.csv", rows_given)
    stderr = _refused(cli("receive", path), rows)
    assert stderr.startswith(f"error: {path}{says}")


def test_a_row_without_an_order_number_goes_on_the_order_above(cli, rows, tmp_path) -> None:
    path = _csv(tmp_path / "f.csv", [_row("1"), _row("", sku="MUG"), _row("2")])
    result = cli("receive", path)
    assert result.stdout == "received 2 orders (3 lines)\n"
    assert [line[0] for line in _lines(rows, "1")] == ["TEA-1", "MUG"]


def test_spaces_around_an_order_number_and_escapes_are_taken_off(cli, rows, tmp_path) -> None:
    path = _csv(tmp_path / "f.csv", [_row(" 1 "), _row("1", sku="MUG"), _row("'=2", sku="'-S")])
    assert cli("receive", path).exit_code == 0
    assert rows("SELECT order_number FROM orders ORDER BY id") == [("1",), ("=2",)]
    assert [line[0] for line in _lines(rows, "=2")] == ["-S"]


def test_a_cell_spanning_lines_keeps_the_line_numbers_right(cli, rows, tmp_path) -> None:
    path = _csv(tmp_path / "f.csv", [_row("1", note="two\nlines"), _row("2"),
                                     _row("3", note="a\r\nb"), _row("4", qty="x")])  # fmt: skip
    stderr = _refused(cli("receive", path), rows)
    assert stderr.startswith(f"error: {path}:7: column 'qty': value 'x'")
    path = _csv(tmp_path / "g.csv", [_row("1", note="two\nlines"), _row("2"), _row("3")])
    assert cli("receive", path).exit_code == 0
    details = [detail for (detail,) in rows("SELECT detail FROM order_events ORDER BY id")]
    sources = [f'"source": "{path}:{line}"' for line in (2, 4, 5)]
    assert all(source in detail for source, detail in zip(sources, details, strict=True))


def test_a_file_longer_than_a_chunk_keeps_every_order_whole(cli, rows, tmp_path) -> None:
    """Orders of three rows each, so that one spans the end of the first chunk."""
    count = CHUNK_ROWS // 3 + 5
    all_rows = [_row(f"N{n // 3}", sku=f"S{n % 3}") for n in range(count * 3)]
    result = cli("receive", _csv(tmp_path / "f.csv", all_rows))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"received {count:,} orders ({count * 3:,} lines)\n"
    per_order = rows("SELECT count(*) FROM order_lines GROUP BY order_id")
    assert per_order == [(3,)] * count


def test_a_bad_row_past_the_first_chunk_is_found_at_its_line(cli, rows, tmp_path) -> None:
    all_rows = [_row(f"N{n}") for n in range(CHUNK_ROWS + 10)]
    all_rows[CHUNK_ROWS + 3][GENERIC_HEADER.index("qty")] = "0"
    stderr = _refused(cli("receive", _csv(tmp_path / "f.csv", all_rows)), rows)
    assert stderr.startswith(f"error: {tmp_path / 'f.csv'}:{CHUNK_ROWS + 5}: column 'qty'")


# Files as (fields, [(sku, qty, price)...], later rows left empty), written as a
# generic CSV and as YAML.
def _order_files(fields: Any, skus: Any, qtys: list[str], prices: list[str], most: int) -> Any:
    lines = st.tuples(skus, st.sampled_from(qtys), st.sampled_from(prices))
    order = st.tuples(fields, st.lists(lines, min_size=1, max_size=3), st.booleans())
    return st.lists(order, min_size=1, max_size=most)


def _rows_of(orders: list[Any]) -> list[list[str]]:
    rows = []
    for number, (fields, lines, empty_later) in enumerate(orders):
        for index, (sku, qty, price) in enumerate(lines):
            row = _row(f"N{number}", **fields, sku=sku, qty=qty, unit_price=price)
            if index and empty_later:
                row[1 : len(ORDER_FIELDS)] = [""] * (len(ORDER_FIELDS) - 1)
            rows.append(row)
    return rows


def _yaml_of(orders: list[Any]) -> str:
    """The same orders as YAML (the CSV's spreadsheet escapes taken off)."""
    items = []
    for number, (fields, lines, _) in enumerate(orders):
        texts = _row(f"N{number}", **fields)[: len(ORDER_FIELDS)]
        order: dict[str, Any] = {
            name: unescape_cell(text) for name, text in zip(ORDER_FIELDS, texts, strict=True)
        }
        order["lines"] = [{"sku": unescape_cell(sku), "qty": qty, "unit_price": price}
                          for sku, qty, price in lines]  # fmt: skip
        items.append(order)
    return yaml.safe_dump(items, allow_unicode=True, sort_keys=False)


_GOOD = {
    "placed_at": ["", "2026-11-20T10:00:00Z", "2026-11-20 10:00:00 +0200", "2026-11-20T10:00"],
    "ship_by": ["", "2026-12-01", " 2026-12-02 "],
    "priority": ["", "0", "3", "-2"],
    "email": ["", "a@example.com", " b.c@example.org ", "émile@example.fr"],
    "country": ["GB", "jp", " US "],
    "currency": ["", "USD", "JPY", "eur", "KWD"],
}
_GOOD_TEXT = st.one_of(st.sampled_from(["", " ", "x", " y ", "'=z", "'+44 1", "Émilie"]),
                       st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")),
                               max_size=6))  # fmt: skip


_databases = itertools.count()


@st.composite
def _good_order(draw: Any) -> dict[str, str]:
    names = draw(st.sets(st.sampled_from(ORDER_FIELDS[1:]), max_size=8))
    return {
        name: draw(st.sampled_from(_GOOD[name]) if name in _GOOD else _GOOD_TEXT)
        for name in names
        if name not in ("customer_name", "address1", "city", "country") or name in _GOOD
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(orders=_order_files(_good_order(), st.sampled_from(["S1", "S2", "'-S3"]), ["1", "2"],
                           ["", "1", "2.50", "300"], most=6))  # fmt: skip
def test_a_csv_and_the_same_orders_in_yaml_are_the_same_orders(cli, tmp_path, orders) -> None:
    path = _csv(tmp_path / "f.csv", _rows_of(orders))
    yaml_path = tmp_path / "f.yaml"
    yaml_path.write_text(_yaml_of(orders), encoding="utf-8")
    db = str(tmp_path / f"{next(_databases)}.db")  # a fresh one for each example
    received = cli("--db", db, "receive", path)
    if received.exit_code != 0:
        assert "has more than 0 decimals (a JPY price)" in received.stderr, received.output
        return
    again = cli("--db", db, "receive", str(yaml_path))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"received 0 orders (0 lines), skipped {len(orders)}")


_CELL = st.one_of(
    st.text(st.sampled_from("ab1 é'=+-@.\t\x00\x7f"), max_size=6),
    st.sampled_from(["", " ", "'=x", "'+44", "GB", "JPY", "USD", "2026-11-20T10:00:00Z", "-1"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(orders=_order_files(st.dictionaries(st.sampled_from(ORDER_FIELDS[1:]), _CELL, max_size=6),
                           _CELL, ["1", "2", "x", ""], ["", "1.50", "200", "-1", "0.001"],
                           most=5))  # fmt: skip
def test_any_csv_is_taken_or_refused_as_the_same_orders_in_yaml(cli, tmp_path, orders) -> None:
    """The same problems, by column and reason (their lines differ), or the same orders."""
    path = _csv(tmp_path / "f.csv", _rows_of(orders))
    yaml_path = tmp_path / "f.yaml"
    yaml_path.write_text(_yaml_of(orders), encoding="utf-8")
    as_csv = cli("--db", str(tmp_path / f"{next(_databases)}.db"), "receive", path)
    as_yaml = cli("--db", str(tmp_path / f"{next(_databases)}.db"), "receive", str(yaml_path))
    assert (as_csv.exit_code, _reasons(as_csv.stderr)) == (
        as_yaml.exit_code,
        _reasons(as_yaml.stderr),
    )
    assert as_csv.exit_code in (0, 4), as_csv.output


def _reasons(stderr: str) -> list[str]:
    """The problems said, without the file and line they name. When there are more
    than are shown, which ones are shown depends on their lines, which differ between
    the two formats: then only the count, which is the last line."""
    lines = stderr.splitlines()
    if any(line.startswith("error: ... and ") for line in lines):
        return lines[-1:]
    return sorted(line.split(": ", 2)[-1] for line in lines)
