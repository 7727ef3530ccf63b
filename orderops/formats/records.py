"""Turn raw text fields into a checked `OrderRecord`, collecting every problem.

Readers (YAML, CSV, storefront exports) produce `RawOrder`s: strings keyed by
the order record's field names, with the line each came from. This module is
the one place where those strings are judged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from orderops.domain.money import MoneyError, parse_amount
from orderops.domain.orders import (
    LINE_FIELDS,
    ORDER_FIELDS,
    REQUIRED_ORDER_FIELDS,
    OrderLine,
    OrderRecord,
)
from orderops.formats.problems import Problem

MAX_TEXT = 500
# Tabs and line breaks would break tables and labels; only a note may span lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_NOTE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class RawLine:
    line: int
    fields: dict[str, str]
    field_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class RawOrder:
    source: str
    line: int
    fields: dict[str, str]
    field_lines: dict[str, int] = field(default_factory=dict)
    lines: list[RawLine] = field(default_factory=list)


class FieldError(ValueError):
    """Why one field's value cannot be used."""


def parse_text(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise FieldError(f"is longer than {MAX_TEXT} characters")
    if _CONTROL.search(text):
        raise FieldError("contains a tab, line break or other control character")
    return text


def parse_note(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT * 4:
        raise FieldError(f"is longer than {MAX_TEXT * 4} characters")
    if _CONTROL_IN_NOTE.search(text):
        raise FieldError("contains control characters")
    return text


def parse_timestamp(value: str) -> datetime:
    """ISO 8601. With an offset, the moment in UTC; without one, the naive time as
    written (it means the machine's local time: `to_utc` converts it when stored,
    and keeping it naive until then keeps order fingerprints independent of TZ)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FieldError("is not an ISO 8601 date-time (2026-11-20T14:03:00+01:00)") from None
    return moment if moment.tzinfo is None else moment.astimezone(UTC)


def to_utc(moment: datetime) -> datetime:
    """A parsed time in UTC; a naive one is taken as the machine's local time."""
    return moment.astimezone(UTC)


def parse_day(value: str) -> date:
    """An ISO 8601 date; of a date-time, the calendar date as written is kept."""
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise FieldError("is not an ISO 8601 date (2026-11-22)") from None


def parse_int(value: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
        raise FieldError("is not a whole number")
    return int(text)


def parse_qty(value: str) -> int:
    qty = parse_int(value)
    if qty < 1:
        raise FieldError("must be at least 1")
    return qty


def parse_country(value: str) -> str:
    import pycountry

    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise FieldError("is not an ISO 3166-1 alpha-2 country code (GB, US, DE...)")
    return code


def currency_exponent(code: str) -> int:
    """How many decimals the ISO 4217 currency has (GBP 2, JPY 0, KWD 3)."""
    import iso4217

    try:
        exponent = iso4217.Currency(code).exponent
    except ValueError:
        raise FieldError("is not an ISO 4217 currency code (USD, EUR, GBP...)") from None
    # Funds and metals have no minor unit; they are no shop's currency.
    if exponent is None:
        raise FieldError("is not a currency a shop can charge in")
    return int(exponent)


def parse_currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise FieldError("is not an ISO 4217 currency code (USD, EUR, GBP...)")
    currency_exponent(code)
    return code


def parse_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    text = value.strip()
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError(f"is not a valid e-mail address ({exc})") from None
    return text


ORDER_PARSERS: dict[str, Callable[[str], Any]] = {
    "placed_at": parse_timestamp,
    "ship_by": parse_day,
    "priority": parse_int,
    "country": parse_country,
    "currency": parse_currency,
    "email": parse_email,
    "note": parse_note,
}


def build_order(raw: RawOrder) -> tuple[OrderRecord | None, list[Problem]]:
    """Check every field of `raw`; the record, or None and every problem found."""
    problems: list[Problem] = []

    def problem(line: int, column: str | None, value: str | None, why: str) -> None:
        problems.append(Problem(raw.source, line, column, value, why))

    values: dict[str, Any] = {}
    for name, text in raw.fields.items():
        line = raw.field_lines.get(name, raw.line)
        if name not in ORDER_FIELDS:
            problem(line, name, None, "is not a field of the order record")
            continue
        if text.strip() == "":
            continue
        try:
            values[name] = ORDER_PARSERS.get(name, parse_text)(text)
        except FieldError as exc:
            problem(line, name, text, str(exc))
    for name in REQUIRED_ORDER_FIELDS:
        if name not in values and not any(p.column == name for p in problems):
            problem(raw.line, name, None, "is required")

    currency = values.get("currency", "USD")
    exponent = currency_exponent(currency) if "currency" not in _bad(problems) else 2
    lines: list[OrderLine] = []
    if not raw.lines:
        problem(raw.line, "lines", None, "an order needs at least one line")
    for raw_line in raw.lines:
        order_line = _build_line(raw_line, exponent, currency, problem)
        if order_line is not None:
            lines.append(order_line)

    if problems:
        return None, problems
    source = f"{raw.source}:{raw.line}"
    return OrderRecord(**values, lines=tuple(lines), source=source), []


def _build_line(
    raw: RawLine,
    exponent: int,
    currency: str,
    problem: Callable[[int, str | None, str | None, str], None],
) -> OrderLine | None:
    ok = True
    values: dict[str, Any] = {}
    for name, text in raw.fields.items():
        line = raw.field_lines.get(name, raw.line)
        if name not in LINE_FIELDS:
            problem(line, name, None, "is not a field of an order line")
            ok = False
            continue
        if text.strip() == "":
            if name in ("sku", "qty"):
                problem(line, name, None, "is required")
                ok = False
            continue
        try:
            if name == "qty":
                values[name] = parse_qty(text)
            elif name == "unit_price":
                values[name] = parse_amount(text, exponent)
            else:
                values[name] = parse_text(text)
        except MoneyError as exc:
            problem(line, name, text, f"{exc} (a {currency} price)")
            ok = False
        except FieldError as exc:
            problem(line, name, text, str(exc))
            ok = False
    for name in ("sku", "qty"):
        if name not in raw.fields:
            problem(raw.line, name, None, "is required")
            ok = False
    return OrderLine(**values) if ok else None


def _bad(problems: list[Problem]) -> set[str | None]:
    return {p.column for p in problems}
