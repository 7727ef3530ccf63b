"""Export: the generic formats, formula-safe, and read back by receive without loss."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orderops.cli import app
from orderops.domain.money import from_minor
from orderops.formats.cells import escape_cell, unescape_cell
from orderops.formats.csv_orders import write_generic_csv
from orderops.formats.order_files import build_orders
from orderops.formats.records import RawLine, RawOrder, currency_exponent

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_export_writes_the_generic_csv_oldest_first(cli) -> None:
    cli("receive", str(FIXTURES / "shopify.csv"), str(FIXTURES / "woocommerce.csv"))
    result = cli("export", "orders")
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.decode().split("\r\n")
    assert lines[0] == (
        "order_number,placed_at,ship_by,priority,channel,customer_name,email,phone,address1,"
        "address2,city,region,postal_code,country,shipping_method,currency,note,"
        "sku,name,qty,unit_price"
    )
    assert [line.split(",")[0] for line in lines[1:-1]] == [
        "1001", "1001", "7001", "7001", "7002", "1002",
    ]  # fmt: skip
    assert lines[1].startswith("1001,2025-10-07T07:50:26Z,,0,web,Jö Müller,jo@example.com,'+49")
    assert lines[1].endswith(",TEA-EARLGREY-100,Earl Grey 100 g,2,6.50")


def test_export_filters_by_status_and_placed_time(cli, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")  # a date is a day in local time
    time.tzset()
    cli("receive", str(FIXTURES / "shopify.csv"), str(FIXTURES / "woocommerce.csv"))
    cli("hold", "7002", "--reason", "check address")

    def numbers(*options: str) -> list[str]:
        result = cli("export", "orders", *options)
        assert result.exit_code == 0, result.output
        return sorted(
            {row.split(",")[0] for row in result.stdout_bytes.decode().split("\r\n")[1:-1]}
        )

    assert numbers("--status", "on_hold") == ["7002"]
    assert numbers("--status", "received", "--status", "on_hold") == [
        "1001",
        "1002",
        "7001",
        "7002",
    ]
    # WooCommerce times carry no offset: they are local (Berlin) time.
    assert numbers("--since", "2025-10-07T10:00:00Z") == ["1002"]
    assert numbers("--until", "2025-10-07T10:00:00Z") == ["1001", "7001", "7002"]
    # 1002 was placed at 00:05 on the 8th, Berlin time.
    assert numbers("--since", "2025-10-07", "--until", "2025-10-07") == ["1001", "7001", "7002"]
    assert numbers("--since", "2025-10-08") == ["1002"]
    monkeypatch.delenv("TZ")
    time.tzset()


def test_export_to_a_file_and_as_yaml(cli, tmp_path) -> None:
    cli("receive", str(FIXTURES / "generic.csv"))
    out = tmp_path / "orders.yaml"
    result = cli("export", "orders", "--format", "yaml", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("- order_number: '5001'\n  placed_at: '2026-11-20T13:03:00Z'\n")
    assert "phone: +44 20 7946 0000\n" in text  # YAML is no spreadsheet: no escape


def test_a_bad_export_option_is_bad_usage(cli) -> None:
    assert cli("export", "orders", "--format", "xlsx").exit_code == 2
    result = cli("export", "orders", "--since", "last week")
    assert result.exit_code == 2
    assert "--since 'last week' is not an ISO 8601 date-time" in result.stderr


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-x", "'-x"),
        ("@home", "'@home"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=already", "''=already"),
        ("O'Neil", "O'Neil"),
        ("'quoted'", "'quoted'"),
        ("plain", "plain"),
    ],
)
def test_formula_cells_are_escaped_and_the_reader_takes_the_escape_off(
    value: str, written: str
) -> None:
    assert escape_cell(value) == written
    assert unescape_cell(written) == value


# --- The round trip, as a property ---------------------------------------------------------

_LINE_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85"
) | st.sampled_from(list("=+-@'\",; é"))
# Only a note may hold tabs and line breaks.
_NOTE_CHARS = _LINE_CHARS | st.sampled_from(list("\n\r\t"))
_text = st.text(_LINE_CHARS, max_size=30).map(str.strip).filter(lambda s: "\x85" not in s)
_note = st.text(_NOTE_CHARS, max_size=30).map(str.strip).filter(lambda s: "\x85" not in s)
_required = _text.filter(bool)
# Order numbers and SKUs refuse what could drive a terminal or hide (see test_rendering).
_CODE_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")) | st.sampled_from(
    list("=+-@'\",; é")
)
_code = st.text(_CODE_CHARS, max_size=30).map(str.strip).filter(bool)
_CURRENCIES = ("GBP", "USD", "EUR", "JPY", "KWD")


def _record(fields: dict[str, str], *lines: dict[str, str]) -> Any:
    """An order record from field texts, checked as receive checks a typed order."""
    raw = RawOrder("test", 1, fields, lines=[RawLine(1, line) for line in lines])
    return build_orders([raw])[0]


_EMAILS = st.just("") | st.from_regex(
    r"[a-z0-9.+]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True
).filter(lambda e: ".." not in e and not e.startswith(".") and ".@" not in e)


@st.composite
def _orders(draw: st.DrawFn) -> list[Any]:
    count = draw(st.integers(1, 4))
    numbers = draw(st.lists(_code, min_size=count, max_size=count, unique=True))
    records = []
    for number in numbers:
        currency = draw(st.sampled_from(_CURRENCIES))
        exponent = currency_exponent(currency)
        price = st.just("") | st.integers(0, 10**7).map(lambda m, e=exponent: str(from_minor(m, e)))
        lines = draw(
            st.lists(
                st.fixed_dictionaries({"sku": _code, "qty": st.integers(1, 10**6).map(str),
                                       "name": _text, "unit_price": price}),
                min_size=1, max_size=3,
            )
        )  # fmt: skip
        placed = draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1)))
        ship_by = draw(st.none() | st.dates(date(2000, 1, 1), date(2099, 1, 1)))
        fields = {
            "order_number": number,
            "customer_name": draw(_required),
            "address1": draw(_required),
            "city": draw(_required),
            "country": draw(st.sampled_from(["GB", "US", "DE", "FR", "JP"])),
            "placed_at": placed.replace(tzinfo=UTC).isoformat(),
            "ship_by": ship_by.isoformat() if ship_by else "",
            "priority": str(draw(st.integers(-1000, 1000))),
            "channel": draw(_text),
            "email": draw(_EMAILS),
            "phone": draw(_text),
            "address2": draw(_text),
            "region": draw(_text),
            "postal_code": draw(_text),
            "shipping_method": draw(_text),
            "currency": currency,
            "note": draw(_note),
        }
        records.append(_record(fields, *lines))
    return sorted(records, key=lambda r: r.placed_at)


@pytest.fixture(scope="module")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the schema in place, copied for each example (migrating is slow)."""
    path = tmp_path_factory.mktemp("template") / "empty.db"
    assert CliRunner().invoke(app, ["--db", str(path), "db", "upgrade"]).exit_code == 0
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=_orders(), format=st.sampled_from(["csv", "yaml"]))
def test_receive_export_receive_export_gives_the_same_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    empty_database: Path,
    records: list[Any],
    format: str,
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    original = io.StringIO(newline="")
    write_generic_csv(original, records)
    source = folder / "orders.csv"
    source.write_bytes(original.getvalue().encode("utf-8"))
    runner = CliRunner()
    exported = []
    for name in ("first.db", "second.db"):
        db = folder / name
        shutil.copy(empty_database, db)
        received = runner.invoke(app, ["--db", str(db), "receive", str(source)])
        assert received.exit_code == 0, received.output
        result = runner.invoke(app, ["--db", str(db), "export", "orders", "--format", format])
        assert result.exit_code == 0, result.output
        exported.append(result.stdout_bytes)
        source = folder / f"{name}.{format}"
        source.write_bytes(result.stdout_bytes)
    assert exported[0] == exported[1]
    if format == "csv":
        assert exported[0] == original.getvalue().encode("utf-8")


def test_money_keeps_its_exact_decimals_through_a_round_trip(cli, tmp_path) -> None:
    order = {"order_number": "1", "customer_name": "Ada", "address1": "1 Road",
             "city": "London", "country": "KW", "currency": "KWD"}  # fmt: skip
    record = _record(order, {"sku": "TEA", "qty": "1", "unit_price": "1.250"})
    assert record.lines[0].unit_price == Decimal("1.250")
    buffer = io.StringIO(newline="")
    write_generic_csv(buffer, [record])
    path = tmp_path / "kwd.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    assert cli("receive", str(path)).exit_code == 0
    assert cli("export", "orders").stdout_bytes.decode().split("\r\n")[1].endswith(",TEA,,1,1.250")


def test_since_an_orders_exact_placed_time_includes_it(cli) -> None:
    # Bulk rows store times exactly as Core does, so SQL comparisons agree.
    cli("receive", str(FIXTURES / "shopify.csv"))
    result = cli("export", "orders", "--since", "2025-10-07T07:50:26Z")
    assert [row.split(",")[0] for row in result.stdout_bytes.decode().split("\r\n")[1:-1]] == [
        "1001", "1001", "1002",
    ]  # fmt: skip
    result = cli("export", "orders", "--until", "2025-10-07T07:50:26Z")
    assert result.stdout_bytes.decode().count("\r\n") == 1  # the header only


def test_an_export_received_back_is_skipped_also_for_times_written_without_offset(cli, tmp_path):
    assert cli("receive", str(FIXTURES / "woocommerce.csv")).exit_code == 0
    exported = tmp_path / "orders.csv"
    assert cli("export", "orders", "-o", str(exported)).exit_code == 0
    again = cli("receive", str(exported))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("received 0 orders (0 lines), skipped")


def test_export_since_a_time_without_offset_is_local_time(cli, received):
    result = cli("export", "orders", "--since", "2026-11-01T08:00", "--format", "yaml")
    assert result.exit_code == 0, result.output
    assert "order_number: '1001'" in result.stdout


def test_export_into_a_missing_folder_is_bad_usage(cli, received, tmp_path):
    for args in (("orders",), ("stock",)):
        result = cli("export", *args, "-o", str(tmp_path / "no" / "such.csv"))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: -o: no such folder")
