"""Field checks: the shortcuts taken for bulk files give the same answers as the full checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderops.domain.orders import LineRecord, OrderRecord
from orderops.formats.records import FieldError, parse_email, parse_timestamp

_LOCAL = st.from_regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@\"-]{0,70}", fullmatch=True)
_DOMAIN = st.from_regex(
    r"[a-z0-9.\-_\[\]]{0,20}\.(com|org|test|local|c|co\.uk|123)?", fullmatch=True
)


@given(local=_LOCAL, domain=_DOMAIN)
def test_the_email_shortcut_agrees_with_email_validator(local: str, domain: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    address = f"{local}@{domain}"
    try:
        validate_email(address, check_deliverability=False)
        expected = True
    except EmailNotValidError:
        expected = False
    try:
        parse_email(address)
        accepted = True
    except FieldError:
        accepted = False
    assert accepted == expected, address


_text = st.text(max_size=12)
_lines = st.lists(
    st.builds(LineRecord, _text, st.integers(1, 99), _text,
              st.none() | st.decimals(0, 1000, places=2)),
    max_size=3,
)  # fmt: skip


@given(
    record=st.builds(
        OrderRecord, _text, _text, _text, _text, _text, _lines.map(tuple),
        placed_at=st.none() | st.datetimes(timezones=st.just(UTC)),
        ship_by=st.none() | st.dates(), priority=st.integers(-9, 9),
        email=_text, note=_text, currency=_text,
    )
)  # fmt: skip
def test_the_fingerprint_is_the_sha256_of_the_records_sorted_json(record: OrderRecord) -> None:
    content = _without_defaults(asdict(record))
    content.pop("source", None)
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    assert record.fingerprint == hashlib.sha256(f"v1:{text}".encode()).hexdigest()


def _without_defaults(value):  # type: ignore[no-untyped-def]
    """The fingerprint's rule: empty strings, None and integer zeros are left out."""
    if isinstance(value, dict):
        return {
            k: _without_defaults(v)
            for k, v in value.items()
            if not (v is None or v == "" or (type(v) is int and v == 0))
        }
    if isinstance(value, list | tuple):
        return [_without_defaults(v) for v in value]
    return value


def test_shopify_offsets_without_a_colon_are_read() -> None:
    expected = datetime(2025, 10, 7, 7, 50, 26, tzinfo=UTC)
    assert parse_timestamp("2025-10-07 09:50:26 +0200") == expected
    assert parse_timestamp("2025-10-07 09:50:26 +02:00") == expected
    assert parse_timestamp("2025-10-07T09:50:26+0200") == expected
    assert parse_timestamp("2025-10-07 03:50:26 -0400") == expected


def test_a_fingerprint_stays_what_it_was_when_first_stored() -> None:
    record = OrderRecord(
        "1", "Ada", "1 R", "L", "GB",
        (LineRecord("A", 2, "n", Decimal("6.50")), LineRecord("B", 1)),
        placed_at=datetime(2026, 1, 1, tzinfo=UTC), ship_by=date(2026, 1, 2), note="é",
    )  # fmt: skip
    assert record.fingerprint == "254cc0b762fd27bd39ce430026b86a40d74c4a0e68f1f61edb0db36be2227c7b"
