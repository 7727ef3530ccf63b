"""Exact money: amounts are Decimals with the currency's number of decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Plain ASCII decimals only: no exponents, underscores or non-ASCII digits.
_PLAIN_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# Prices above this are typing errors, and would not fit a 64-bit count of minor units.
MAX_AMOUNT = Decimal(10) ** 12


class MoneyError(ValueError):
    """An amount that is not an exact, non-negative price in its currency."""


def parse_amount(text: str, exponent: int) -> Decimal:
    """Read a price such as "6.5" for a currency with `exponent` decimals.

    The result carries exactly `exponent` decimals ("6.50"); more decimals
    than the currency has, a negative amount, or anything not a plain decimal
    number is refused.
    """
    cleaned = text.strip()
    if not _PLAIN_DECIMAL.fullmatch(cleaned):
        raise MoneyError("is not a decimal number")
    amount = Decimal(cleaned)
    if amount < 0:
        raise MoneyError("must not be negative")
    if amount >= MAX_AMOUNT:
        raise MoneyError(f"is too large (at most {MAX_AMOUNT - 1:,})")
    try:
        exact = amount.quantize(_unit(exponent))
    except InvalidOperation:
        raise MoneyError("is too large") from None
    if exact != amount:
        raise MoneyError(f"has more than {exponent} decimals")
    return exact


def to_minor(amount: Decimal, exponent: int) -> int:
    """The amount in minor units (pence, cents), exactly."""
    return int(amount.scaleb(exponent))


def from_minor(minor: int, exponent: int) -> Decimal:
    """The amount in major units with exactly `exponent` decimals."""
    return Decimal(minor).scaleb(-exponent).quantize(_unit(exponent))


def _unit(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)
