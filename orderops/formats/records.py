"""Turn raw text fields into a checked `OrderRecord`, collecting every problem.

Readers (YAML, CSV, storefront exports) produce `RawOrder`s: strings keyed by
the order record's field names, with the line each came from. This module is
the one place where those strings are judged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from orderops.domain.characters import escaped, hidden_character
from orderops.domain.money import MoneyError, parse_amount
from orderops.domain.order_batch import OrderBatch, map_distinct
from orderops.domain.orders import (
    LINE_FIELDS,
    ORDER_FIELDS,
    REQUIRED_ORDER_FIELDS,
    LineRecord,
    OrderRecord,
)
from orderops.errors import UsageProblem
from orderops.formats.problems import Problem

MAX_TEXT = 500
# Tabs and line breaks would break tables and labels; only a note may span lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_NOTE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# "2025-10-07 09:50:26 +0200" (Shopify) -> "2025-10-07 09:50:26+02:00" (ISO 8601).
_SPACED_OFFSET = re.compile(r"\s*([+-])(\d{2}):?(\d{2})$")
# A plain dot-atom local part: always valid, so only the domain needs the full check.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")


@dataclass(slots=True)
class RawLine:
    line: int
    fields: dict[str, str]
    field_lines: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
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
    if not text.isprintable() and _CONTROL.search(text):
        raise FieldError("contains a tab, line break or other control character")
    return text


MAX_CODE = 64


def parse_code(value: str) -> str:
    """An order number or SKU: one line of text, at most MAX_CODE characters, nothing
    in it that could drive a terminal or hide (C1 controls, line separators,
    bidirectional and zero-width characters), not even around it."""
    hidden = hidden_character(value)
    if hidden is not None:
        raise FieldError(f"contains {escaped(hidden)}, an invisible or control character")
    text = parse_text(value)
    if len(text) > MAX_CODE:
        raise FieldError(f"is longer than {MAX_CODE} characters")
    return text


def parse_note(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT * 4:
        raise FieldError(f"is longer than {MAX_TEXT * 4} characters")
    if not text.isprintable() and _CONTROL_IN_NOTE.search(text):
        raise FieldError("contains control characters")
    return text


# Times are kept a year inside the calendar's edges (datetime's years 1 to 9999), so
# that a stored time can be shown in any time zone and a day added to one.
FIRST_YEAR, LAST_YEAR = 2, 9998
_OUT_OF_RANGE = f"is out of the range of dates (years {FIRST_YEAR} to {LAST_YEAR})"


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 (storefront offsets written as " +0200" too). With an offset,
    the moment in UTC; without one, the naive time as written (it means the
    machine's local time: `to_utc` converts it when stored, and keeping it naive
    until then keeps order fingerprints independent of TZ)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _spaced_offset_timestamp(text)
    try:
        moment = moment if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
        raise FieldError(_OUT_OF_RANGE) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise FieldError(_OUT_OF_RANGE)
    return moment


def to_utc(moment: datetime) -> datetime:
    """A parsed time in UTC; a naive one is taken as the machine's local time."""
    try:
        return moment.astimezone(UTC)
    except ValueError:  # only a naive time is converted through the local zone
        raise unusable_time_zone() from None


def to_local(moment: datetime) -> datetime:
    """A time as the machine's local clock reads it (naive)."""
    try:
        return moment.astimezone().replace(tzinfo=None)
    except ValueError:
        raise unusable_time_zone() from None


def unusable_time_zone() -> UsageProblem:
    """The local zone (TZ) has an offset that Python's datetime cannot hold (a day or
    more, such as TZ='<+25>-25'): no local time can be worked out."""
    import os

    return UsageProblem(
        f"the time zone TZ={os.environ.get('TZ', '')!r} has an offset of a day or more, "
        "which orderops cannot use for local times: set TZ to a zone such as "
        "Europe/London or UTC"
    )


def _spaced_offset_timestamp(text: str) -> datetime:
    normalised = _SPACED_OFFSET.sub(r"\1\2:\3", text) if len(text) > 16 else text
    try:
        return datetime.fromisoformat(normalised)
    except ValueError:
        raise FieldError("is not an ISO 8601 date-time (2026-11-20T14:03:00+01:00)") from None


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


_WHOLE = re.compile(r"[+-]?[0-9]{1,9}")
_LONG_WHOLE = re.compile(r"[+-]?[0-9]{10,}")


def parse_int(value: str) -> int:
    """A whole number of up to nine digits (a quantity, a count, a priority)."""
    text = value.strip()
    if not _WHOLE.fullmatch(text):
        if _LONG_WHOLE.fullmatch(text):
            raise FieldError("is too large: at most 9 digits (999,999,999)")
        raise FieldError("is not a whole number")
    return int(text)


def parse_qty(value: str) -> int:
    qty = parse_int(value)
    if qty < 1:
        raise FieldError("must be at least 1")
    return qty


def parse_country(value: str) -> str:
    return _country(value.strip().upper())


@lru_cache(maxsize=512)
def _country(code: str) -> str:
    import pycountry

    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise FieldError("is not an ISO 3166-1 alpha-2 country code (GB, US, DE...)")
    return code


@lru_cache(maxsize=256)
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
    text = value.strip()
    # Fast path for bulk files: a plain local part, and a domain checked once.
    local, at, domain = text.rpartition("@")
    short = bool(at) and text.isascii() and len(text) <= 254 and len(local) <= 64
    if short and PLAIN_LOCAL_PART.fullmatch(local) and domain_is_valid(domain):
        return text
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldError(f"is not a valid e-mail address ({exc})") from None
    return text


@lru_cache(maxsize=4096)
def domain_is_valid(domain: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


ORDER_PARSERS: dict[str, Callable[[str], Any]] = {
    "placed_at": parse_timestamp,
    "ship_by": parse_day,
    "priority": parse_int,
    "country": parse_country,
    "currency": parse_currency,
    "email": parse_email,
    "note": parse_note,
    "order_number": parse_code,
}
# The other line fields' parsers; a price's depends on its currency (`parse_amount`).
LINE_PARSERS: dict[str, Callable[[str], Any]] = {
    "sku": parse_code,
    "qty": parse_qty,
    "name": parse_text,
}


class FieldRule:
    """How the text of one order field becomes its value, for every reader.

    A field whose values repeat across orders (country, city, currency...)
    keeps the values it judged, by text, so that each distinct text is
    judged once.
    """

    __slots__ = ("parse", "known")

    def __init__(self, parse: Callable[[str], Any], repeats: bool) -> None:
        self.parse = parse
        self.known: dict[str, Any] | None = {} if repeats else None

    def judge(self, text: str) -> Any:
        """The value written as `text`; None when it is empty or blank (not given).

        Raises FieldError, saying why, when the text is no value of the field.
        """
        known = self.known
        if known is not None:
            value = known.get(text)
            if value is not None:
                return value
        if not text or text.isspace():
            return None
        value = self.parse(text)
        if known is not None:
            if len(known) >= _KNOWN_VALUES:
                known.clear()
            known[text] = value
        return value

    def judge_all(self, texts: Sequence[str]) -> list[Any]:
        """`judge` of each text (each distinct text judged once where texts repeat).
        A column of texts all given, of a field that keeps no values (order numbers,
        e-mail addresses), goes straight to the parser: one call a value, not two."""
        if self.known is None and all(texts) and not any(map(str.isspace, texts)):
            return list(map(self.parse, texts))
        return map_distinct(self.judge, texts)


_KNOWN_VALUES = 4096
# Fields whose values seldom repeat from one order to the next: not kept.
_UNIQUE = ("order_number", "placed_at", "email", "phone", "customer_name", "note")
ORDER_RULES: dict[str, FieldRule] = {
    name: FieldRule(ORDER_PARSERS.get(name, parse_text), repeats=name not in _UNIQUE)
    for name in ORDER_FIELDS
}


def build_order(raw: RawOrder) -> tuple[OrderRecord | None, list[Problem]]:
    """Check every field of `raw`; the record, or None and every problem found."""
    problems: list[Problem] = []
    values = _order_values(raw, problems)
    _require_order_fields(raw, values, problems)
    lines = _order_lines(raw, values, problems)
    if problems:
        return None, problems
    return OrderRecord(**values, lines=tuple(lines), source=f"{raw.source}:{raw.line}"), []


def _order_values(raw: RawOrder, problems: list[Problem]) -> dict[str, Any]:
    """The value of each order field `raw` gives, by its rule; a problem for each bad one."""
    values: dict[str, Any] = {}
    for name, text in raw.fields.items():
        line = raw.field_lines.get(name, raw.line)
        rule = ORDER_RULES.get(name)
        if rule is None:
            problems.append(Problem(raw.source, line, name, None,
                                    "is not a field of the order record"))  # fmt: skip
            continue
        try:
            value = rule.judge(text)
        except FieldError as exc:
            problems.append(Problem(raw.source, line, name, text, str(exc)))
            continue
        if value is not None:
            values[name] = value
    return values


def _require_order_fields(raw: RawOrder, values: dict[str, Any], problems: list[Problem]) -> None:
    """A required field not given (and not already refused) is said to be required."""
    for name in REQUIRED_ORDER_FIELDS:
        if name not in values and not any(p.column == name for p in problems):
            problems.append(Problem(raw.source, raw.line, name, None, "is required"))


def _order_lines(
    raw: RawOrder, values: dict[str, Any], problems: list[Problem]
) -> list[LineRecord]:
    """The order's good lines, priced in its currency; a problem for each bad field."""
    if not raw.lines:
        problems.append(Problem(raw.source, raw.line, "lines", None,
                                "an order needs at least one line"))  # fmt: skip
    currency = values.get("currency", "USD")
    # A refused currency has no decimals of its own: prices are read with two.
    bad_currency = any(p.column == "currency" for p in problems)
    exponent = 2 if bad_currency else currency_exponent(currency)
    lines = []
    for raw_line in raw.lines:
        line, found = build_line(raw_line, exponent, currency, raw.source)
        problems.extend(found)
        if line is not None:
            lines.append(line)
    return lines


def build_line(
    raw: RawLine, exponent: int, currency: str, source: str
) -> tuple[LineRecord | None, list[Problem]]:
    """One order line, its price in a currency of `exponent` decimals: its record,
    or None and a problem for each bad field.

    A shop sells the same few thousand SKUs at the same prices all day: each
    distinct good line is judged once (a LineRecord is immutable, so shared).
    """
    fields = raw.fields
    key = (fields.get("sku"), fields.get("qty"), fields.get("name"), fields.get("unit_price"),
           exponent, len(fields))  # fmt: skip
    known = _LINES.get(key)
    if known is not None:
        return known, []
    values, problems = _line_values(raw, exponent, currency, source)
    for name in ("sku", "qty"):
        if name not in fields:
            problems.append(Problem(source, raw.line, name, None, "is required"))
    if problems:
        return None, problems
    line = LineRecord(**values)
    if len(_LINES) >= _KNOWN_LINES:
        _LINES.clear()
    _LINES[key] = line
    return line, []


_KNOWN_LINES = 50_000
_LINES: dict[tuple[str | None, str | None, str | None, str | None, int, int], LineRecord] = {}


def _line_values(
    raw: RawLine, exponent: int, currency: str, source: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The value of each field the line gives, and a problem for each bad one."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, text in raw.fields.items():
        line = raw.field_lines.get(name, raw.line)
        if name not in LINE_FIELDS:
            problems.append(Problem(source, line, name, None, "is not a field of an order line"))
        elif text.strip() == "":
            if name in ("sku", "qty"):
                problems.append(Problem(source, line, name, None, "is required"))
        elif name == "unit_price":
            try:
                values[name] = parse_amount(text, exponent)
            except MoneyError as exc:
                problems.append(Problem(source, line, name, text, f"{exc} (a {currency} price)"))
        else:
            try:
                values[name] = LINE_PARSERS[name](text)
            except FieldError as exc:
                problems.append(Problem(source, line, name, text, str(exc)))
    return values, problems


@dataclass(slots=True)
class ReadOrder:
    """One order as read from a file: its record if it is good, else its problems.

    `rows` are the order's rows as they stood in the file (CSV cells), so a
    refused order can be written back out in its own format; `fatal` marks a
    problem with the file itself (no header, not UTF-8...) that no skipping
    can get past.
    """

    source: str
    format: str
    record: OrderRecord | None
    problems: list[Problem]
    raw: RawOrder | None = None
    rows: list[list[str]] = field(default_factory=list)
    header: tuple[str, ...] = ()
    row_count: int = 1
    fatal: bool = False


@dataclass(slots=True)
class ReadBatch:
    """Whole orders read and checked together, held column by column (see
    `formats.generic_columns`); `read_again(i)` gives order i as a `ReadOrder`,
    with its rows, for the rare paths that need them (such as --rejects)."""

    orders: OrderBatch
    read_again: Callable[[int], ReadOrder]


def judge_order(
    raw: RawOrder,
    format: str,
    found: list[Problem] | None = None,
    columns: dict[str, str] | None = None,
) -> ReadOrder:
    """`build_order` on `raw`, with problems already `found` by the reader.

    `columns` maps record field names to the file's own column names, so a
    problem names the column the user sees ("Shipping Zip", not postal_code).
    """
    record, problems = build_order(raw)
    if found:
        problems = [*found, *problems]
        record = None
    if problems and columns:
        problems = [
            replace(p, column=columns.get(p.column, p.column)) if p.column else p for p in problems
        ]
    if problems:
        problems.sort(key=lambda p: p.line or 0)
    return ReadOrder(raw.source, format, record, problems, raw)
