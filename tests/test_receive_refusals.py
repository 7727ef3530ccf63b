"""Bad input refuses the whole run: exit 4, every bad row by file and line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_orderops

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"
GOOD = Path(__file__).resolve().parent / "fixtures" / "generic.csv"

# file -> (line, what the message says)
CORPUS = {
    "missing_column.csv": (1, "the header has no column 'qty'"),
    "unknown_column.csv": (1, "column 'colour': is not a field of the order record or line"),
    "qty_not_numeric.csv": (2, "column 'qty': value 'two': is not a whole number"),
    "qty_zero.csv": (3, "column 'qty': value '0': must be at least 1"),
    "negative_price.csv": (2, "column 'unit_price': value '-6.50': must not be negative"),
    "bad_country.csv": (4, "column 'country': value 'England': is not an ISO 3166-1 alpha-2"),
    "disagreeing_repeat.csv": (3, "column 'city': value 'Paris': disagrees with line 2"),
    "empty.csv": (1, "is empty: no header, no orders"),
    "header_only.csv": (1, "holds no orders"),
    "binary_garbage.csv": (1, "is not UTF-8 text"),
    "invalid_utf8.csv": (3, "is not UTF-8 text"),
    "python_tag.yaml": (6, "YAML tag tag:yaml.org,2002:python/object:os.system is not accepted"),
    "bad_yaml_syntax.yaml": (3, "is not valid YAML"),
    "bad_date.yaml": (2, "column 'placed_at': value 'yesterday': is not an ISO 8601 date-time"),
    "good_and_bad.csv": (3, "column 'unit_price': value 'abc': is not a decimal number"),
    "bad_email.csv": (2, "column 'email': value 'ada@@example': is not a valid e-mail address"),
    "too_many_decimals.csv": (2, "value '1200.5': has more than 0 decimals (a JPY price)"),
    "short_row.csv": (3, "has 4 cells, the header has 9"),
    "missing_required_value.csv": (3, "column 'customer_name': is required"),
    "repeated_order_elsewhere.csv": (4, "this order appears again in the input"),
    "shopify_missing_sku.csv": (3, "column 'Lineitem sku': is required"),
    "woocommerce_bad_qty.csv": (2, "column 'Quantity': value '-1': must be at least 1"),
    "time_out_of_range.csv": (3, "column 'placed_at': value '9999-12-31T23:59:59-01:00': is out"),
}


def test_the_corpus_holds_every_bad_file() -> None:
    assert sorted(CORPUS) == sorted(p.name for p in BAD.iterdir())
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_bad_file_is_refused_whole_with_its_line_and_nothing_is_written(
    cli, rows, name: str
) -> None:
    line, says = CORPUS[name]
    path = BAD / name
    result = cli("receive", str(GOOD), str(path))
    assert result.exit_code == 4, result.output
    assert f"error: {path}:{line}: " in result.stderr
    assert says in result.stderr
    assert result.stderr.endswith("; nothing was written\n")
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert rows("SELECT count(*) FROM orders") == [(0,)]
    assert rows("SELECT count(*) FROM order_lines") == [(0,)]
    assert rows("SELECT count(*) FROM order_events") == [(0,)]


def test_every_bad_row_is_listed_the_first_twenty_then_a_count(cli, rows, tmp_path) -> None:
    header = "order_number,customer_name,address1,city,country,sku,qty\n"
    body = "".join(f"{n},Ada,1 Road,London,GB,TEA,{'x' if n % 2 else 1}\n" for n in range(1, 61))
    path = tmp_path / "many.csv"
    path.write_text(header + body)
    result = cli("receive", str(path))
    assert result.exit_code == 4
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {path}:2: column 'qty': value 'x': is not a whole number"
    assert lines[19] == f"error: {path}:40: column 'qty': value 'x': is not a whole number"
    assert lines[20:] == [
        "error: ... and 10 more",
        "error: 30 problems in the input; nothing was written",
    ]
    assert rows("SELECT count(*) FROM orders") == [(0,)]


def test_a_bad_file_in_a_real_process_prints_no_traceback(tmp_path) -> None:
    result = run_orderops("receive", str(BAD / "binary_garbage.csv"), db=tmp_path / "o.db")
    assert result.returncode == 4
    assert b"Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {BAD / 'binary_garbage.csv'}:1: ".encode())
