"""Stock files (CSV or YAML, one row per SKU and bin) into checked records.

CSV: a header row with the column names (read by name, any order; UTF-8 with
or without BOM). YAML: a list of mappings with the same names. Every problem
in every file is collected; any problem refuses the whole import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from typing import Any

from orderops.domain.characters import escaped, hidden_character
from orderops.domain.stock import DEFAULT_LOCATION, REQUIRED_STOCK_COLUMNS, StockRecord
from orderops.errors import InvalidInput
from orderops.formats.cells import csv_reader, unescape_cell, unreadable
from orderops.formats.headers import header_problems
from orderops.formats.problems import Problem
from orderops.formats.records import FieldError, parse_code, parse_int, parse_text
from orderops.formats.sources import read_text

# Rows as read, before any check: (file name, line, column name -> text).
StockRows = list[tuple[str, int, dict[str, str]]]
_LOCATION = re.compile(r"[A-Z0-9]+(?:[-.][A-Z0-9]+){0,4}")


def parse_location(value: str) -> str:
    hidden = hidden_character(value)
    if hidden is not None:
        raise FieldError(f"contains {escaped(hidden)}, an invisible or control character")
    code = value.strip().upper()
    if len(code) > 32 or not _LOCATION.fullmatch(code):
        raise FieldError("is not a bin code such as A-03-2 (zone-aisle-shelf)")
    return code


def parse_barcode(value: str) -> str:
    """A GTIN-8, UPC-A (12), EAN-13 or GTIN-14, its check digit verified."""
    from stdnum import ean

    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise FieldError("is not a GTIN/EAN/UPC barcode (8, 12, 13 or 14 digits)")
    if not ean.is_valid(digits):
        raise FieldError("has a wrong check digit for a GTIN/EAN/UPC barcode")
    return digits


def parse_count(value: str) -> int:
    count = parse_int(value)
    if count < 0:
        raise FieldError("must not be negative")
    return count


def read_stock_files(paths: Sequence[str]) -> list[StockRecord]:
    """Every stock row in `paths`; if any is bad, InvalidInput listing every problem."""
    rows: StockRows = []
    problems: list[Problem] = []
    for path in paths:
        name, text = read_text(path)
        reader = _read_yaml if _is_yaml(path, text) else _read_csv
        found, shape = reader(name, text)
        rows.extend(found)
        problems.extend(shape)
    records = []
    for name, line, fields in rows:
        record, found_problems = build_stock_record(name, line, fields)
        problems.extend(found_problems)
        if record is not None:
            records.append(record)
    problems.extend(_clashes(records))
    if problems:
        count = len(problems)
        raise InvalidInput(
            [str(p) for p in problems],
            summary=f"{count} problem{'s' if count != 1 else ''} in the stock file",
        )
    return records


_STOCK_PARSERS: dict[str, Callable[[str], Any]] = {
    "sku": parse_code,
    "name": parse_text,
    "barcode": parse_barcode,
    "location": parse_location,
    "on_hand": parse_count,
    "reorder_point": parse_count,
}


def build_stock_record(
    name: str, line: int, fields: dict[str, str]
) -> tuple[StockRecord | None, list[Problem]]:
    """The stock row on `line` of file `name`: its record, or None and every problem."""
    values, problems = _stock_values(name, line, fields)
    for column in REQUIRED_STOCK_COLUMNS:
        if column not in values and not any(p.column == column for p in problems):
            problems.append(Problem(name, line, column, None, "is required"))
    if problems:
        return None, problems
    values.setdefault("location", DEFAULT_LOCATION)
    # A name or barcode column left empty clears it; one not in the file leaves it (None).
    for column in ("name", "barcode"):
        if column not in values and column in fields:
            values[column] = ""
    return StockRecord(**values, source=f"{name}:{line}"), []


def _stock_values(
    name: str, line: int, fields: dict[str, str]
) -> tuple[dict[str, Any], list[Problem]]:
    """The value of each column the row gives, and a problem for each bad one."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for column, raw in fields.items():
        parse = _STOCK_PARSERS.get(column)
        if parse is None:
            problems.append(Problem(name, line, column, None, "is not a column of a stock file"))
            continue
        text = unescape_cell(raw)
        if text.strip() == "":
            continue
        try:
            values[column] = parse(text)
        except FieldError as exc:
            problems.append(Problem(name, line, column, raw, str(exc)))
    return values, problems


def _clashes(records: list[StockRecord]) -> list[Problem]:
    """The same bin twice, or one product described two ways."""
    problems = []
    bins: dict[tuple[str, str], StockRecord] = {}
    products: dict[str, StockRecord] = {}
    for record in records:
        name, _, line = record.source.rpartition(":")
        first = bins.setdefault((record.sku, record.location), record)
        if first is not record:
            problems.append(
                Problem(name, int(line), "location", record.location,
                        f"SKU {record.sku} is already counted in this bin at {first.source}")
            )  # fmt: skip
        product = products.setdefault(record.sku, record)
        for column in ("name", "barcode", "reorder_point"):
            mine, theirs = getattr(record, column), getattr(product, column)
            if mine is not None and theirs is not None and mine != theirs:
                problems.append(
                    Problem(name, int(line), column, str(mine),
                            f"differs from {product.source} for SKU {record.sku}")
                )  # fmt: skip
    return problems


def _is_yaml(path: str, text: str) -> bool:
    lowered = path.lower()
    if lowered.endswith((".yaml", ".yml")):
        return True
    if lowered.endswith(".csv"):
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped.startswith("-") or (":" in stripped and "," not in stripped)
    return False


def _read_csv(name: str, text: str) -> tuple[StockRows, list[Problem]]:
    reader = csv_reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        error = unreadable(1, exc)
        return [], [Problem(name, error.line, None, None, error.why)]
    if header is None:
        return [], [Problem(name, None, None, None, "holds no stock rows")]
    columns = [c.strip().lower() for c in header]
    problems = header_problems(name, columns)
    if problems:
        return [], problems
    problems = [
        Problem(name, 1, column, None, "is a required column and is missing")
        for column in REQUIRED_STOCK_COLUMNS
        if column not in columns
    ]
    if problems:
        return [], problems
    rows, problems = _csv_rows(name, reader, columns)
    if not rows and not problems:
        problems.append(Problem(name, None, None, None, "holds no stock rows"))
    return rows, problems


def _csv_rows(name: str, reader: Any, columns: list[str]) -> tuple[StockRows, list[Problem]]:
    """The rows after the header, by column name, with their lines (blank rows
    skipped); a problem for each row wider than the header."""
    rows: StockRows = []
    problems: list[Problem] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                problems.append(
                    Problem(name, line, None, None,
                            f"has {len(cells)} cells but the header names {len(columns)} columns")
                )  # fmt: skip
                continue
            fields = dict(zip(columns, cells, strict=False))
            fields.pop("", None)  # unnamed columns at the end (trailing commas) are ignored
            rows.append((name, line, fields))
    except csv.Error as exc:
        error = unreadable(start, exc)
        problems.append(Problem(name, error.line, None, None, error.why))
    return rows, problems


def _read_yaml(name: str, text: str) -> tuple[StockRows, list[Problem]]:
    import yaml

    from orderops.formats.yaml_orders import _Reader, compose

    root, problems = compose(name, text)
    if problems:
        return [], problems
    reader = _Reader(name)
    if root is None or not isinstance(root, yaml.SequenceNode) or not reader.plain(root):
        return [], [
            *reader.problems,
            Problem(name, None, None, None, "must be a list of stock rows"),
        ]
    rows = []
    for item in root.value:
        pairs = reader.mapping(item, "a stock row")
        if pairs is None:
            continue
        fields = {}
        for key, value in pairs:
            text_value = reader.scalar(value, key)
            if text_value is not None:
                fields[key] = text_value
        rows.append((name, int(item.start_mark.line) + 1, fields))
    return rows, reader.problems
