"""The generic CSV's column-wise path accepts what the order-by-order path accepts, alike.

Large generic files are checked a batch at a time, column by column
(`formats.generic_columns`); anything unusual sends a batch the ordinary way.
These tests read the same text both ways and compare every order: its values,
its lines, its fingerprint and where it came from.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderops.domain.orders import ORDER_FIELDS
from orderops.formats import csv_orders
from orderops.formats.csv_orders import GENERIC, GENERIC_HEADER, read_csv_orders
from orderops.formats.generic_columns import ColumnChecker
from orderops.formats.plain_columns import COLUMN_PARSERS, utc_strings
from orderops.formats.records import (
    ReadBatch,
    ReadOrder,
    parse_code,
    parse_email,
    parse_text,
    parse_timestamp,
)


def read_both_ways(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any], int]:
    """Every order of `text` as (fields, lines, fingerprint, source), read column-wise
    where it can be, and order by order in one piece (so also without chunks); and
    how many batches went column-wise."""
    fast = list(read_csv_orders("f.csv", io.StringIO(text, newline=""), GENERIC))
    batches = sum(isinstance(item, ReadBatch) for item in fast)
    with monkeypatch.context() as patch:
        patch.setattr(ColumnChecker, "check", lambda self, rows, starts: None)
        patch.setattr(csv_orders, "CHUNK_ROWS", 10**9)
        slow = list(read_csv_orders("f.csv", io.StringIO(text, newline=""), GENERIC))
    assert not any(isinstance(item, ReadBatch) for item in slow)
    return _orders(fast), _orders(slow), batches


def _orders(items: list[ReadOrder | ReadBatch]) -> list[Any]:
    found: list[Any] = []
    for item in items:
        if isinstance(item, ReadBatch):
            for index in range(len(item.orders)):
                record = item.orders.record(index)
                assert record.fingerprint == item.orders.fingerprints[index]
                found.append(_summary(record))
        elif item.record is not None:
            found.append(_summary(item.record))
        else:
            found.append(("refused", [str(p) for p in item.problems]))
    return found


def _summary(record: Any) -> tuple[Any, ...]:
    fields = tuple(getattr(record, name) for name in ORDER_FIELDS)
    return fields, record.lines, record.fingerprint, record.source


def _csv(rows: list[list[str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or GENERIC_HEADER)
    writer.writerows(rows)
    return out.getvalue()


def _row(number: str, **given: str) -> list[str]:
    values = {"customer_name": "Ada Lovelace", "address1": "1 High St", "city": "London",
              "country": "GB", "sku": "TEA-1", "qty": "1"} | given  # fmt: skip
    return [number if name == "order_number" else values.get(name, "") for name in GENERIC_HEADER]


def test_a_plain_file_goes_column_wise_with_the_same_orders(monkeypatch) -> None:
    text = _csv([_row(f"A{n}", email=f"a{n}@example.com", unit_price="1.50", priority=str(n % 3),
                      ship_by="2026-12-01" if n % 2 else "", placed_at=f"2026-11-{1 + n % 28:02d}")
                 for n in range(50)])  # fmt: skip
    fast, slow, batches = read_both_ways(text, monkeypatch)
    assert batches >= 1
    assert fast == slow
    assert len(fast) >= 1


def test_later_rows_may_repeat_the_order_or_leave_it_empty(monkeypatch) -> None:
    first = _row("7", email="ada@example.com", currency="JPY", unit_price="1200", note="Hi")
    empty_later = ["7"] + [""] * (len(ORDER_FIELDS) - 1) + ["MUG", "Mug", "2", "300"]
    repeated = _row("8", phone="'+44 20", unit_price="2.5", placed_at="2026-01-02 03:04:05 +0200")
    text = _csv([first, empty_later, repeated, list(repeated)])
    fast, slow, batches = read_both_ways(text, monkeypatch)
    assert batches == 1
    assert fast == slow
    assert fast[0][1][1].qty == 2 and fast[0][1][1].unit_price == 300  # JPY: no decimals
    assert fast[1][0][ORDER_FIELDS.index("phone")] == "+44 20"  # the spreadsheet escape is off


_TWO_VALUES = {"placed_at": ("2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z"),
               "ship_by": ("2026-12-01", "2026-12-02"), "priority": ("1", "2"),
               "email": ("a@example.com", "b@example.com"), "country": ("GB", "US"),
               "currency": ("USD", "EUR")}  # fmt: skip


@pytest.mark.parametrize("field", ORDER_FIELDS[1:])
def test_a_later_row_that_disagrees_in_any_field_goes_the_ordinary_way(field, monkeypatch) -> None:
    first, other = _TWO_VALUES.get(field, ("x", "y"))
    rows = [_row("1", **{field: first}), _row("1", **{field: other}, sku="MUG")]
    fast, slow, batches = read_both_ways(_csv(rows), monkeypatch)
    assert batches == 0
    assert fast == slow
    assert fast[0][0] == "refused"


# Other arrangements of the generic columns than export's (order fields, then line
# fields): reversed; and the sku between two order fields.
_SKU_AMID = [*ORDER_FIELDS[:5], "sku", *ORDER_FIELDS[5:], "name", "qty", "unit_price"]
_ARRANGEMENTS = {
    "reversed": GENERIC_HEADER[::-1],
    "sku amid": _SKU_AMID,
}


@pytest.mark.parametrize("arrangement", _ARRANGEMENTS)
@pytest.mark.parametrize("disagree", [False, True])
def test_columns_in_another_order_are_read_alike(arrangement, disagree, monkeypatch) -> None:
    """The order fields are then not one run of columns in the header's order."""
    header = _ARRANGEMENTS[arrangement]
    assert sorted(header) == sorted(GENERIC_HEADER)
    first = _row("7", email="ada@example.com", note="Hi", unit_price="1.50")
    later = _row("7", email="ada@example.com", note="Bye" if disagree else "Hi", sku="MUG")
    empty_later = ["7"] + [""] * (len(ORDER_FIELDS) - 1) + ["CUP", "Cup", "3", ""]
    rows = [first, later, empty_later, _row("8", city="Paris")]
    moved = [GENERIC_HEADER.index(name) for name in header]
    text = _csv([[row[i] for i in moved] for row in rows], header)
    fast, slow, batches = read_both_ways(text, monkeypatch)
    assert batches == (0 if disagree else 1)
    assert fast == slow
    if not disagree:
        assert [line.sku for line in fast[0][1]] == ["TEA-1", "MUG", "CUP"]


@pytest.mark.parametrize(
    "rows",
    [
        [_row("1", qty="0")],  # a bad value
        [_row("1"), _row("1", city="Paris")],  # later rows disagree
        [_row("1"), _row("", sku="X")],  # a later row without its order number
        [_row(" 1 ")],  # spaces around the order number
        [_row("1"), _row("1")[:-1]],  # a short row
        [_row("1", unit_price="1.234")],  # more decimals than the currency has
    ],
)
def test_anything_unusual_goes_the_ordinary_way_with_the_same_result(rows, monkeypatch) -> None:
    fast, slow, batches = read_both_ways(_csv(rows), monkeypatch)
    assert batches == 0
    assert fast == slow


def test_a_cell_spanning_lines_keeps_the_line_numbers_right(monkeypatch) -> None:
    text = _csv([_row("1", note="two\nlines"), _row("2"), _row("3", note="a\r\nb")])
    fast, slow, batches = read_both_ways(text, monkeypatch)
    assert batches == 1
    assert fast == slow
    assert [order[3] for order in fast] == ["f.csv:2", "f.csv:4", "f.csv:5"]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_chunks_cut_only_where_an_order_begins_and_count_lines_right(size, monkeypatch) -> None:
    monkeypatch.setattr(csv_orders, "CHUNK_ROWS", size)
    rows = [_row("A"), _row("B", note="x\ry"), _row("", sku="S2"), _row("A", note="1\n2\r\n3"),
            _row("A", sku="S3"), _row("C")]  # fmt: skip
    text = _csv(rows)[:-2] + "\r\n\r\n" + _csv([_row("D")]).split("\r\n", 1)[1]
    fast, slow, _ = read_both_ways(text, monkeypatch)
    assert fast == slow
    assert [order[3] for order in slow] == ["f.csv:2", "f.csv:3", "f.csv:6", "f.csv:10", "f.csv:12"]


def test_orders_are_never_cut_between_batches(monkeypatch) -> None:
    monkeypatch.setattr(csv_orders, "CHUNK_ROWS", 5)
    rows = [_row(str(n // 3), sku=f"S{n}") for n in range(40)]  # three rows per order
    fast, slow, batches = read_both_ways(_csv(rows), monkeypatch)
    assert batches > 1
    assert fast == slow
    assert [len(order[1]) for order in fast] == [3] * 13 + [1]


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_SAMPLES = ["", " ", "'=x", "'+44", "=1+1", "GB", "JPY", "USD", "2026-11-20T10:00:00Z", "3", "-1"]
_cell = st.one_of(_text, st.sampled_from(_SAMPLES))


def _order_files(fields: Any, skus: Any, qtys: list[str], prices: list[str], most: int) -> Any:
    """Orders as `_rows_of` takes them: fields, lines (sku, qty, price), later rows empty."""
    lines = st.tuples(skus, st.sampled_from(qtys), st.sampled_from(prices))
    order = st.tuples(fields, st.lists(lines, min_size=1, max_size=3), st.booleans())
    return st.lists(order, min_size=1, max_size=most)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    orders=_order_files(st.dictionaries(st.sampled_from(ORDER_FIELDS[1:]), _cell, max_size=6),
                        _cell, ["1", "2", "x", ""], ["", "1.50", "200", "-1", "0.001"], most=6)
)  # fmt: skip
def test_both_paths_agree_on_any_file(orders, monkeypatch) -> None:
    fast, slow, _ = read_both_ways(_csv(_rows_of(orders)), monkeypatch)
    assert fast == slow


def _rows_of(orders: list[Any]) -> list[list[str]]:
    """Rows of orders given as (fields, [(sku, qty, price)...], later rows left empty)."""
    rows = []
    for number, (fields, lines, empty_later) in enumerate(orders):
        for index, (sku, qty, price) in enumerate(lines):
            row = _row(f"N{number}", **fields, sku=sku or "S", qty=qty, unit_price=price)
            if index and empty_later:
                row[1 : len(ORDER_FIELDS)] = [""] * (len(ORDER_FIELDS) - 1)
            rows.append(row)
    return rows


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


@st.composite
def _good_order(draw: Any) -> dict[str, str]:
    names = draw(st.sets(st.sampled_from(ORDER_FIELDS[1:]), max_size=8))
    return {
        name: draw(st.sampled_from(_GOOD[name]) if name in _GOOD else _GOOD_TEXT)
        for name in names
        if name not in ("customer_name", "address1", "city", "country") or name in _GOOD
    }


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    orders=_order_files(_good_order(), st.sampled_from(["S1", "S2", "'-S3"]), ["1", "2"],
                        ["", "1", "2.50", "300", "0.125"], most=8)
)  # fmt: skip
def test_both_paths_agree_on_good_files(orders, monkeypatch) -> None:
    fast, slow, _ = read_both_ways(_csv(_rows_of(orders)), monkeypatch)
    assert fast == slow


_EMAILISH = st.one_of(
    st.from_regex(r"[a-z.@\n\t +-]{0,12}(@[a-z0-9.-]{0,8}(\.[a-z]{2,3})?)?", fullmatch=True),
    st.sampled_from(["a@example.com", "a.b@example.org", ".a@example.com", "a@b@example.com",
                     "ä@example.com", " a@example.com", "a@example.com\nb@example.com"]),
)  # fmt: skip
_TIMEISH = st.one_of(
    st.sampled_from(["2026-11-20T10:00:00Z", "2026-11-20 10:00:00+02:00", "2026-11-20T10:00",
                     "2025-10-07 09:50:26 +0200", " 2026-11-20T10:00:00-05:00 ", "2026-13-01"]),
    st.datetimes(timezones=st.none() | st.timezones()).map(datetime.isoformat),
)  # fmt: skip
_TEXTISH = st.text(st.sampled_from("ab é\t\n\x00\x7f\xa0\u2028'"), max_size=70)


@pytest.mark.parametrize(
    ("parser", "values"),
    [(parse_email, _EMAILISH), (parse_timestamp, _TIMEISH), (parse_text, _TEXTISH),
     (parse_code, _TEXTISH)],
)  # fmt: skip
def test_a_column_judged_at_once_is_judged_as_value_by_value(parser, values) -> None:
    @settings(max_examples=200)
    @given(column=st.lists(values, max_size=5))
    def check(column: list[str]) -> None:
        found = COLUMN_PARSERS[parser](column)
        if found is not None:
            assert found == [parser(value) for value in column]

    check()


@settings(max_examples=300)
@given(
    moments=st.lists(st.datetimes(timezones=st.just(UTC)), max_size=4),
    other=st.lists(_TIMEISH, max_size=2),
)
def test_times_written_the_canonical_way_give_their_str_without_formatting(moments, other) -> None:
    canonical = [moment.isoformat().replace("+00:00", "Z") for moment in moments]
    assert utc_strings(canonical) == [str(parse_timestamp(text)) for text in canonical]
    found = utc_strings(canonical + other)
    if found is not None:
        assert found == [str(parse_timestamp(text)) for text in canonical + other]
