"""The generic CSV checked a batch of whole orders at a time, column by column.

The generic layout (what `export orders` writes and shops' scripts produce)
is the bulk path: files of a hundred thousand orders. Checking them one order
at a time, as `records.build_order` does, builds a dozen objects per order
and calls a parser per field. Here a batch of rows is turned into columns;
each distinct value of a column is judged once, with the same parsers; the
fingerprints are put together from per-value JSON pieces; and the result is
an `OrderBatch`, from which the rows to insert are zipped.

This path only takes the plain case: every row as wide as the header, an
order's later rows repeating its order fields or leaving them all empty, and
every value good. For any other batch `check`
returns None and the caller reads the batch the ordinary way, which finds,
words and places every problem. So it accepts exactly what the ordinary path
accepts, with the same values and fingerprints (tests compare the two).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import chain, compress, count, filterfalse, islice, repeat
from json.encoder import encode_basestring
from operator import add, eq, itemgetter, methodcaller, mul, ne
from typing import Any

from orderops.domain.money import MoneyError, parse_amount
from orderops.domain.order_batch import LineValues, OrderBatch
from orderops.domain.orders import (
    FINGERPRINT_VERSION,
    LINE_FIELDS,
    ORDER_FIELDS,
    REQUIRED_ORDER_FIELDS,
    OrderLine,
    OrderRecord,
)
from orderops.formats.cells import unescape_cell
from orderops.formats.plain_columns import COLUMN_PARSERS, utc_strings
from orderops.formats.records import (
    ORDER_PARSERS,
    FieldError,
    currency_exponent,
    parse_code,
    parse_note,
    parse_qty,
    parse_text,
)

# Each field's value when the file does not give it (the record's defaults).
_DEFAULTS: dict[str, Any] = {
    name: OrderRecord.__dataclass_fields__[name].default for name in ORDER_FIELDS
}
_REQUIRED = frozenset(REQUIRED_ORDER_FIELDS)
# The fingerprint's keys in JSON's sorted order; "lines" has a slot among them.
_KEYS = tuple(sorted((*ORDER_FIELDS, "lines")))
# Fields whose values seldom repeat: judged in one pass over the column. The
# others (city, country...) keep their judged values from batch to batch, up to
# _KEEP distinct values, unless a batch shows them seldom repeating too.
_UNIQUE = frozenset(("order_number", "placed_at", "email"))
_KEEP = 4096
_TIME_PIECES = frozenset(("placed_at", "ship_by"))
# Parsers that give "" for empty or blank text, which is those fields' default.
_EMPTY_IS_DEFAULT = (parse_text, parse_note)
# Fields whose values are text: their pieces are the key and the JSON string.
_TEXT_PIECES = frozenset(f for f in ORDER_FIELDS if f not in (*_TIME_PIECES, "priority"))
_KEEP_LINES = 50_000


class _Refused(Exception):
    """Something this path does not take: the batch goes the ordinary way."""


def _piece(name: str, value: Any) -> str:
    """The fingerprint's JSON piece for one field, as `OrderRecord.fingerprint` writes
    it, with its separator; "" for a value it leaves out."""
    if value is None or value == "" or (type(value) is int and value == 0):
        return ""
    return _PIECE[name].format(value if type(value) is int else encode_basestring(str(value)))


# '"name": {}' with the ", " that parts it from "lines", which is always there:
# after it for the keys before "lines", before it for the keys after.
_PIECE = {
    name: f'"{name}": {{}}, ' if name < "lines" else f', "{name}": {{}}' for name in ORDER_FIELDS
}


def _fingerprints(pieces: Iterable[Iterable[str]]) -> list[str]:
    """The sha256 of "v1:{...}" for each order's pieces (in key order), without a
    Python call per order."""
    texts = map("".join, zip(repeat(f"{FINGERPRINT_VERSION}:{{"), *pieces, repeat("}")))
    return list(map(_HEXDIGEST, map(hashlib.sha256, map(str.encode, texts))))


_HEXDIGEST = methodcaller("hexdigest")


class ColumnChecker:
    """Checks batches of one generic CSV file; keeps what it judged between batches."""

    def __init__(self, name: str, header: Sequence[str]) -> None:
        self.name = name
        self.width = len(header)
        position = {column: index for index, column in reversed(list(enumerate(header)))}
        self.fields = tuple(f for f in ORDER_FIELDS if f in position)
        self.order_positions = {f: position[f] for f in self.fields}
        self.key = position["order_number"]
        # An order's fields other than its number, to compare its later rows with its first.
        others = [position[f] for f in self.fields if f != "order_number"]
        self.others, self.no_others = _cells_getter(others)
        self.line_cells = _line_getter([position.get(f) for f in LINE_FIELDS])
        # text -> judged value, and text -> fingerprint piece, per field.
        self.values: dict[str, dict[str, Any]] = {f: {} for f in self.fields}
        self.pieces: dict[str, dict[str, str]] = {f: {} for f in self.fields}
        # (sku, name, qty, unit_price, exponent) -> the line's values, and its JSON.
        self.lines: dict[tuple[str, str, str, str, int], tuple[LineValues, str]] = {}

    def check(self, rows: list[list[str]], starts: list[int]) -> OrderBatch | None:
        """The orders of `rows` (whole orders; `starts[i]` is the line of row i),
        or None if the batch must be read the ordinary way."""
        try:
            return self._check(rows, starts)
        except (_Refused, FieldError, MoneyError):
            return None

    def _check(self, rows: list[list[str]], starts: list[int]) -> OrderBatch:
        if not rows or len(set(map(len, rows))) != 1 or len(rows[0]) != self.width:
            raise _Refused
        firsts = _first_rows(rows, self.key)
        counts = [b - a for a, b in zip(firsts, [*firsts[1:], len(rows)], strict=True)]
        if len(firsts) != len(rows):
            self._check_later_rows(rows, firsts, counts)
        heads = [rows[i] for i in firsts]
        columns = list(zip(*heads, strict=True))
        values: dict[str, list[Any]] = {}
        pieces: dict[str, Any] = {}
        for name in ORDER_FIELDS:
            if name in self.order_positions:
                texts = columns[self.order_positions[name]]
                values[name], pieces[name] = self._column(name, texts)
            elif name in _REQUIRED:
                raise _Refused
            else:
                values[name] = [_DEFAULTS[name]] * len(heads)
                pieces[name] = repeat(_piece(name, _DEFAULTS[name]))
        if any(map(str.__ne__, values["order_number"], columns[self.key])):
            raise _Refused  # an order number with spaces around it or escaped
        exponents = list(map(currency_exponent, values["currency"]))
        lines, contents = self._lines(rows, exponents, counts)
        pieces["lines"] = _lines_pieces(contents, counts)
        # (Fields the file lacks give endless repeats: the other columns set the length.)
        fingerprints = _fingerprints(pieces[key] for key in _KEYS)
        sources = list(map(f"{self.name}:".__add__, map(str, map(starts.__getitem__, firsts))))
        return OrderBatch(values, fingerprints, sources, counts, lines, len(rows))

    def _check_later_rows(self, rows: list[list[str]], firsts: list[int], counts: list[int]):  # type: ignore[no-untyped-def]
        """An order's later rows repeat its fields, or leave them all empty."""
        others = list(map(self.others, rows))
        owners = chain.from_iterable(map(repeat, firsts, counts))
        same = list(map(eq, others, map(others.__getitem__, owners)))
        if not all(same) and any(
            not agree and row != self.no_others for agree, row in zip(same, others, strict=True)
        ):
            raise _Refused

    def _column(self, name: str, texts: tuple[str, ...]) -> tuple[list[Any], Any]:
        """Each text's judged value, and its fingerprint piece."""
        if name in _UNIQUE:
            return self._unique_column(name, texts)
        values, pieces = self.values[name], self.pieces[name]
        if len(values) > _KEEP:
            values.clear()
            pieces.clear()
        fresh = set(texts).difference(values)
        if len(fresh) > len(texts) // 2:
            # Values that seldom repeat (phone numbers): judged in one pass.
            return self._unique_column(name, texts)
        for text in fresh:
            value = values[text] = _judge(name, text)
            pieces[text] = _piece(name, value)
        return list(map(values.__getitem__, texts)), map(pieces.__getitem__, texts)

    def _unique_column(self, name: str, texts: tuple[str, ...]) -> tuple[list[Any], Any]:
        # A quick look for escaped cells ("'=..."), which are rare, before unescaping.
        if "\n'" in "\n" + "\n".join(texts):
            texts = tuple(map(unescape_cell, texts))
        parser = ORDER_PARSERS.get(name, parse_text)
        # Empty text is "not given"; the text parsers already make it "" (the default).
        given = all(texts) and not any(map(str.isspace, texts))
        if given or (parser in _EMPTY_IS_DEFAULT and name not in _REQUIRED):
            at_once = COLUMN_PARSERS.get(parser)
            found = at_once(texts) if at_once is not None else None
            values = list(map(parser, texts)) if found is None else found
        else:
            values = [_judge(name, text) for text in texts]
        if name in _TEXT_PIECES:
            pieces = map(_PIECE[name].format, map(encode_basestring, values))
            if all(values):
                return values, list(pieces)
            # "" for an empty value: a str times False.
            return values, list(map(mul, pieces, map(bool, values)))
        if name in _TIME_PIECES and None not in values:
            # The JSON string of a date or time is its str() in quotes: nothing to escape.
            strings = utc_strings(texts) if name == "placed_at" else None
            quoted = _PIECE[name].replace("{}", '"{}"').format
            return values, list(map(quoted, values if strings is None else strings))
        return values, [_piece(name, value) for value in values]

    def _lines(
        self, rows: list[list[str]], exponents: list[int], counts: list[int]
    ) -> tuple[list[LineValues], list[str]]:
        """Every row's line, judged (each distinct line once), and its fingerprint JSON."""
        # A line is judged by its cells and its order's currency exponent: one flat key.
        row_exponents = chain.from_iterable(map(repeat, exponents, counts))
        keys = list(map(add, map(self.line_cells, rows), map(_ONE_TUPLE, row_exponents)))
        known = self.lines
        if len(known) > _KEEP_LINES:
            known.clear()
        # Each line not seen before (filterfalse asks as it goes: a repeat is seen).
        for key in filterfalse(known.__contains__, keys):
            known[key] = _judge_line(*key)
        judged = list(map(known.__getitem__, keys))
        return list(map(_FIRST, judged)), list(map(_SECOND, judged))


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _judge_line(sku: str, name: str, qty: str, price: str, exponent: int) -> tuple[LineValues, str]:
    """One line's values and fingerprint JSON, as `records._build_line` judges them."""
    sku, name, qty, price = map(unescape_cell, (sku, name, qty, price))
    if not sku or sku.isspace() or not qty:
        raise _Refused
    line = OrderLine(
        parse_code(sku),
        parse_qty(qty),
        parse_text(name) if name else "",
        parse_amount(price, exponent) if price and not price.isspace() else None,
    )
    return (line.sku, line.name, line.qty, line.unit_price), line.content


def _one_tuple(value: int) -> tuple[int]:
    return (value,)


# (exponent,) for each currency exponent, made once.
_ONE_TUPLE = lru_cache(maxsize=None)(_one_tuple)


def _judge(name: str, text: str) -> Any:
    """The value of one field's text, as `records.build_order` judges it."""
    text = unescape_cell(text)
    if not text or text.isspace():
        if name in _REQUIRED:
            raise _Refused
        return _DEFAULTS[name]
    return ORDER_PARSERS.get(name, parse_text)(text)


def _first_rows(rows: list[list[str]], key: int) -> list[int]:
    """Where each order begins: the rows whose order number differs from the row before."""
    numbers = list(map(itemgetter(key), rows))
    return list(compress(count(), map(ne, numbers, chain((None,), numbers))))


def _lines_pieces(contents: list[str], counts: list[int]) -> list[str]:
    rest = iter(contents)
    return ['"lines": [' + ", ".join(islice(rest, n)) + "]" for n in counts]


def _line_getter(
    indexes: list[int | None],
) -> Callable[[list[str]], tuple[str, str, str, str]]:
    """A row's (sku, name, qty, unit_price) cells; "" for a column the file lacks."""
    if None not in indexes:
        return itemgetter(*indexes)
    return lambda cells: tuple("" if i is None else cells[i] for i in indexes)  # type: ignore[return-value]


def _cells_getter(indexes: list[int]) -> tuple[Callable[[list[str]], Any], Any]:
    """A getter of a row's cells at `indexes`, and what it gives for a row whose
    cells there are all empty. Columns side by side, as in the generic layout,
    are taken as one slice: a row's later cells are then copied, not fetched one by one."""
    if not indexes:
        return (lambda cells: ()), ()
    if len(indexes) == 1:
        return itemgetter(indexes[0]), ""
    if indexes == list(range(indexes[0], indexes[-1] + 1)):
        return itemgetter(slice(indexes[0], indexes[-1] + 1)), [""] * len(indexes)
    return itemgetter(*indexes), ("",) * len(indexes)
