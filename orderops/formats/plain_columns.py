"""Whole columns judged at once, when every value in them is plainly good.

A batch of a large file holds thousands of order numbers, e-mail addresses
and times. When a column passes a few checks that run in C over the whole
column (all printable, short enough, one regular expression), its values are
exactly what the per-value parser of `formats.records` would give, without a
Python call per value. When it does not, the caller parses value by value,
which finds and words any problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import attrgetter, methodcaller
from typing import Any

from orderops.formats.records import (
    MAX_CODE,
    MAX_TEXT,
    PLAIN_LOCAL_PART,
    domain_is_valid,
    parse_code,
    parse_email,
    parse_text,
    parse_timestamp,
)

# Addresses one per line, each a plain local part and a domain; the domains captured.
_PLAIN_ADDRESSES = re.compile(rf"(?:{PLAIN_LOCAL_PART.pattern}@[^\s@]+\n)*")
_DOMAINS = re.compile(r"@([^\s@]+)\n")
# RFC 5321 allows 64 characters before the @; a shorter address is surely within.
_SHORT_ADDRESS = 64
_TO_UTC = methodcaller("astimezone", UTC)
_TZINFO = attrgetter("tzinfo")


def texts(column: Sequence[str]) -> list[str] | None:
    """`parse_text` of every value: printable, no longer than MAX_TEXT, stripped."""
    if "".join(column).isprintable() and max(map(len, column), default=0) <= MAX_TEXT:
        return list(map(str.strip, column))
    return None


def codes(column: Sequence[str]) -> list[str] | None:
    """`parse_code` of every value (order numbers): as `texts`, at most MAX_CODE long."""
    if "".join(column).isprintable() and max(map(len, column), default=0) <= MAX_CODE:
        return list(map(str.strip, column))
    return None


def emails(column: Sequence[str]) -> list[str] | None:
    """`parse_email` of every value, when each is a short plain address."""
    joined = "\n".join(column) + "\n"
    if (
        all(column)
        and joined.count("\n") == len(column)  # no address spans lines
        and joined.isascii()
        and max(map(len, column)) <= _SHORT_ADDRESS
        and _PLAIN_ADDRESSES.fullmatch(joined)
        and all(map(domain_is_valid, set(_DOMAINS.findall(joined))))
    ):
        return list(column)
    return None


def timestamps(column: Sequence[str]) -> list[datetime] | None:
    """`parse_timestamp` of every value, when each is ISO 8601 with an offset."""
    try:
        moments = list(map(datetime.fromisoformat, map(str.strip, column)))
    except ValueError:
        return None
    if None in map(_TZINFO, moments):
        return None
    try:
        return list(map(_TO_UTC, moments))
    except OverflowError:  # the value by value parse says which one
        return None


# Times written in UTC the way `export` writes them; microseconds only when not zero.
_CANONICAL_UTC = re.compile(r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?Z\n)*")
_T_TO_SPACE = methodcaller("replace", "T", " ")
_Z_TO_OFFSET = methodcaller("replace", "Z", "+00:00")


def utc_strings(column: Sequence[str]) -> list[str] | None:
    """str() of each time `timestamps` reads from `column`, made from the text itself
    when every value is written as UTC the canonical way ("2026-11-20T10:00:00Z"
    gives "2026-11-20 10:00:00+00:00"): formatting a datetime costs far more."""
    if not column or _CANONICAL_UTC.fullmatch("\n".join(column) + "\n"):
        return list(map(_Z_TO_OFFSET, map(_T_TO_SPACE, column)))
    return None


# The column-wide form of each per-value parser that has one.
COLUMN_PARSERS: dict[Callable[[str], Any], Callable[[Sequence[str]], list[Any] | None]] = {
    parse_text: texts,
    parse_code: codes,
    parse_email: emails,
    parse_timestamp: timestamps,
}
