"""Can an order be processed? Its SKUs known, its address complete, a postal
code where the country uses one. The answer is a list of hold reasons.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

# Countries and territories whose addresses have no postal code, after the
# list used by Google's address data (libaddressinput) and the UPU. IE is
# here because its Eircode is optional on an address.
NO_POSTAL_CODE = frozenset(
    {
        "AE", "AG", "AN", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ",
        "CD", "CF", "CG", "CI", "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD",
        "GH", "GM", "GQ", "GY", "HK", "IE", "KI", "KM", "KN", "KP", "LY", "ML",
        "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL", "SO", "SR",
        "ST", "SY", "TD", "TF", "TG", "TK", "TL", "TO", "TT", "TV", "UG", "VU",
        "YE", "ZW",
    }
)  # fmt: skip

# Fields an address cannot do without, in the order they are reported.
ADDRESS_FIELDS = ("customer_name", "address1", "city", "country")


def postal_code_required(country: str) -> bool:
    return country.upper() not in NO_POSTAL_CODE


def address_complete(
    customer_name: str, address1: str, city: str, country: str, postal_code: str
) -> bool:
    """Whether `hold_reasons` finds nothing wrong with this address: the quick
    check for bulk work, which asks `hold_reasons` only about the others.
    (The first four arguments are ADDRESS_FIELDS, in order.)"""
    # Written out, not all() over a generator: called once per order, 100,000 in a run.
    filled = customer_name.strip() and address1.strip() and city.strip() and country.strip()
    return bool(filled) and not _postal_code_missing(country.strip(), postal_code.strip())


def hold_reasons(
    order: Mapping[str, object], skus: Iterable[str], known_skus: Container[str]
) -> list[str]:
    """Why the order cannot be processed; empty when it can."""
    reasons: list[str] = []
    unknown = sorted({sku for sku in skus if sku not in known_skus})
    reasons.extend(f"unknown SKU {sku}" for sku in unknown)
    missing = [name for name in ADDRESS_FIELDS if not str(order.get(name) or "").strip()]
    if missing:
        reasons.append(f"address incomplete: {', '.join(missing)}")
    country = str(order.get("country") or "").strip().upper()
    postal_code = str(order.get("postal_code") or "").strip()
    if _postal_code_missing(country, postal_code):
        reasons.append(f"postal code required for {country}")
    return reasons


def _postal_code_missing(country: str, postal_code: str) -> bool:
    """A country given, which uses postal codes, and none given (both stripped)."""
    return bool(country) and not postal_code and postal_code_required(country)
