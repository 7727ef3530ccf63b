"""CSV order files: the generic layout and the storefront exports, read by column name.

Every layout has one row per order line. A layout maps the file's columns
onto the order record's field names; the rows of one order follow each other
(the same order number); an order field given on several rows must agree.
Values are then judged by `records.build_order`, like any other format.

Rows are read as a stream, in chunks of whole orders, so a file of any size
is checked in flat memory; a plain chunk of the generic layout is checked
column by column (`generic_columns`), any other chunk order by order.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice
from operator import itemgetter
from typing import Any, TextIO

from orderops.domain.order_batch import OrderBatch
from orderops.domain.orders import LINE_FIELDS, ORDER_FIELDS, REQUIRED_ORDER_FIELDS, OrderRecord
from orderops.formats.cells import (
    UnreadableCsv,
    csv_reader,
    escape_cell,
    unescape_cell,
    unreadable,
)
from orderops.formats.generic_columns import ColumnReader
from orderops.formats.headers import header_problems
from orderops.formats.problems import Problem
from orderops.formats.records import RawLine, RawOrder, ReadBatch, ReadOrder, judge_order

GENERIC_HEADER = (*ORDER_FIELDS, *LINE_FIELDS)


def _strip_apostrophe(value: str) -> str:
    """Storefronts write '01234 so that a spreadsheet keeps the leading zero."""
    return value[1:] if value.startswith("'") else value


def _strip_hash(value: str) -> str:
    """Shopify names orders "#1001"; the order number is 1001."""
    text = value.strip()
    return text[1:] if text.startswith("#") else text


@dataclass(frozen=True)
class Column:
    """A record field and the file columns it is read from.

    The first of `names` present in the header is used; with `join`, every
    one present is read and the non-empty values joined by a space (first
    and last name into one customer name).
    """

    field: str
    names: tuple[str, ...]
    clean: Callable[[str], str] | None = None
    join: bool = False


@dataclass(frozen=True)
class CsvLayout:
    name: str
    order_columns: tuple[Column, ...]
    line_columns: tuple[Column, ...]
    # Header names that tell this layout apart from the others.
    signature: tuple[str, ...]
    # Unknown columns are refused (the generic layout) or ignored (exports).
    strict: bool = False
    unescape: bool = False

    def matches(self, header: Sequence[str]) -> bool:
        names = set(header)
        return all(name in names for name in self.signature)

    def column(self, field: str) -> Column:
        for column in (*self.order_columns, *self.line_columns):
            if column.field == field:
                return column
        raise KeyError(field)


GENERIC = CsvLayout(
    name="csv",
    order_columns=tuple(Column(name, (name,)) for name in ORDER_FIELDS),
    line_columns=tuple(Column(name, (name,)) for name in LINE_FIELDS),
    signature=("order_number",),
    strict=True,
    unescape=True,
)

SHOPIFY = CsvLayout(
    name="shopify",
    order_columns=(
        Column("order_number", ("Name",), _strip_hash),
        Column("placed_at", ("Created at",)),
        Column("email", ("Email",)),
        Column("customer_name", ("Shipping Name",)),
        Column("phone", ("Shipping Phone", "Phone"), _strip_apostrophe),
        Column("address1", ("Shipping Address1", "Shipping Street")),
        Column("address2", ("Shipping Address2",)),
        Column("city", ("Shipping City",)),
        Column("region", ("Shipping Province", "Shipping Province Code")),
        Column("postal_code", ("Shipping Zip",), _strip_apostrophe),
        Column("country", ("Shipping Country", "Shipping Country Code")),
        Column("shipping_method", ("Shipping Method",)),
        Column("currency", ("Currency",)),
        Column("channel", ("Source",)),
        Column("note", ("Notes",)),
    ),
    line_columns=(
        Column("sku", ("Lineitem sku",)),
        Column("name", ("Lineitem name",)),
        Column("qty", ("Lineitem quantity",)),
        Column("unit_price", ("Lineitem price",)),
    ),
    signature=("Name", "Lineitem quantity"),
)

WOOCOMMERCE = CsvLayout(
    name="woocommerce",
    order_columns=(
        Column("order_number", ("Order Number", "Order ID"), _strip_hash),
        Column("placed_at", ("Order Date",)),
        Column("email", ("Email (Billing)",)),
        Column("phone", ("Phone (Billing)", "Phone (Shipping)"), _strip_apostrophe),
        Column("customer_name", ("First Name (Shipping)", "Last Name (Shipping)"), join=True),
        Column("address1", ("Address 1&2 (Shipping)", "Address 1 (Shipping)")),
        Column("address2", ("Address 2 (Shipping)",)),
        Column("city", ("City (Shipping)",)),
        Column("region", ("State Code (Shipping)", "State (Shipping)")),
        Column("postal_code", ("Postcode (Shipping)",), _strip_apostrophe),
        Column("country", ("Country Code (Shipping)",)),
        Column("shipping_method", ("Shipping Method Title",)),
        Column("currency", ("Order Currency",)),
        Column("note", ("Customer Note",)),
    ),
    line_columns=(
        Column("sku", ("SKU",)),
        Column("name", ("Name", "Item Name", "Product Name")),
        Column("qty", ("Quantity", "Quantity (- Refund)")),
        Column("unit_price", ("Item Cost",)),
    ),
    signature=("Order Number",),
)

LAYOUTS = {layout.name: layout for layout in (GENERIC, SHOPIFY, WOOCOMMERCE)}


def detect_layout(header: Sequence[str]) -> CsvLayout | None:
    """The layout whose signature columns the header has (generic first)."""
    for layout in LAYOUTS.values():
        if layout.matches(header):
            return layout
    return None


def read_header(first_line: str) -> list[str]:
    """The column names of a CSV header line (stripped)."""
    try:
        row: list[str] = next(csv_reader([first_line]), [])
    except csv.Error:
        return []
    return [name.strip() for name in row]


Getter = Callable[[list[str]], tuple[str, ...]]


@dataclass
class _Plan:
    """Where each record field sits in this file's rows, and how to pick the values out."""

    order_fields: tuple[str, ...]
    order_values: Getter
    line_fields: tuple[str, ...]
    line_values: Getter
    key_position: int
    key_index: int
    key_clean: Callable[[str], str] | None
    # Record field -> the file's column name(s), for messages.
    display: dict[str, str]


def _plan(layout: CsvLayout, header: list[str], name: str) -> tuple[_Plan | None, list[Problem]]:
    """Where this file's columns sit, or None and every problem with its header."""
    positions, problems = _positions(header, name)
    if layout.strict:
        problems += _unknown_columns(header, name)
    order = _place(layout.order_columns, positions)
    line = _place(layout.line_columns, positions)
    problems += _missing_columns(layout, header, name, order + line, problems)
    if problems:
        return None, problems
    order_fields = tuple(column.field for column, _ in order)
    key_position = order_fields.index("order_number")
    key_column, (key_index,) = order[key_position]
    plan = _Plan(
        order_fields,
        _getter(order),
        tuple(column.field for column, _ in line),
        _getter(line),
        key_position,
        key_index,
        key_column.clean,
        display={
            column.field: " / ".join(n for n in column.names if n in positions)
            for column, _ in order + line
        },
    )
    return plan, []


Placed = list[tuple[Column, tuple[int, ...]]]


def _positions(header: list[str], name: str) -> tuple[dict[str, int], list[Problem]]:
    """Each named column's position, and the header's problems (`header_problems`:
    a name given twice, a column without a name)."""
    positions: dict[str, int] = {}
    for index, column in enumerate(header):
        if column:
            positions.setdefault(column, index)
    return positions, header_problems(name, header)


def _unknown_columns(header: list[str], name: str) -> list[Problem]:
    """The generic layout takes no column but the record's fields (or an unnamed one)."""
    known = set(GENERIC_HEADER)
    return [
        Problem(name, 1, column, None, "is not a field of the order record or line")
        for column in header
        if column not in known and column != ""
    ]


def _place(columns: tuple[Column, ...], positions: dict[str, int]) -> Placed:
    """The columns the header has, each with where it is read from."""
    placed = []
    for column in columns:
        found = tuple(positions[n] for n in column.names if n in positions)
        if found:
            placed.append((column, found if column.join else found[:1]))
    return placed


def _missing_columns(
    layout: CsvLayout, header: list[str], name: str, placed: Placed, found: list[Problem]
) -> list[Problem]:
    """A problem for each column an order needs that the header lacks (and that
    no problem in `found` names already)."""
    present = {column.field for column, _ in placed}
    shown = f"{', '.join(header[:12])}{'...' if len(header) > 12 else ''}"
    problems = []
    for field in dict.fromkeys(("order_number", *REQUIRED_ORDER_FIELDS, "sku", "qty")):
        if field not in present and not any(p.column == field for p in found):
            wanted = " or ".join(f"'{n}'" for n in layout.column(field).names)
            problems.append(
                Problem(name, 1, None, None, f"the header has no column {wanted} (found: {shown})")
            )
    return problems


def _getter(placed: Placed) -> Getter:
    """A function from a row's cells to the values of `placed`, in order."""
    if all(column.clean is None and not column.join for column, _ in placed):
        # The generic layout: one C call per row.
        pick = itemgetter(*(indexes[0] for _, indexes in placed))
        return pick if len(placed) > 1 else lambda cells: (pick(cells),)

    def values(cells: list[str]) -> tuple[str, ...]:
        out = []
        for column, indexes in placed:
            if column.join:
                value = " ".join(part for i in indexes if (part := cells[i].strip()))
            else:
                value = cells[indexes[0]]
            out.append(column.clean(value) if column.clean is not None else value)
        return tuple(out)

    return values


class _Group:
    """The rows of one order, gathered as they are read."""

    def __init__(self, name: str, key: str, line: int) -> None:
        self.raw = RawOrder(name, line, {})
        self.key = key
        self.rows: list[list[str]] = []
        self.first: tuple[str, ...] = ()
        self.problems: list[Problem] = []

    def add(self, cells: list[str], start: int, values: tuple[str, ...], plan: _Plan) -> None:
        """One more row of the order (`values`: its order fields, () for a row of
        the wrong width), which begins on line `start`."""
        self.rows.append(cells)
        if not values:
            return
        if len(self.rows) == 1:
            self.first = values
            # Empty values stay: build_order passes over them, as "not given".
            self.raw.fields = dict(zip(plan.order_fields, values, strict=True))
        elif values != self.first:
            _merge(self, values, start, plan)
        line = dict(zip(plan.line_fields, plan.line_values(cells), strict=True))
        self.raw.lines.append(RawLine(start, line))


# Rows per chunk: a chunk is whole orders, checked and written together (fewer,
# larger chunks spread the cost of each statement and lookup over more orders).
CHUNK_ROWS = 10000


def read_csv_orders(
    name: str, lines: Iterable[str], layout: CsvLayout
) -> Iterator[ReadOrder | ReadBatch]:
    """Each order of a CSV stream (header first), checked, in file order.

    Rows come in chunks of whole orders. A chunk of the generic layout that
    `ColumnReader` takes comes out as one `ReadBatch`; any other chunk as
    one `ReadOrder` per order. A problem with the file as a whole (no header,
    missing columns) comes as a single fatal ReadOrder.
    """
    reader = csv_reader(lines)
    try:
        raw_header = next(reader, None)
    except csv.Error as exc:
        error = unreadable(1, exc)
        yield _fatal(name, layout, Problem(name, error.line, None, None, error.why))
        return
    if raw_header is None:
        yield _fatal(name, layout, Problem(name, 1, None, None, "is empty: no header, no orders"))
        return
    header = tuple(cell.strip() for cell in raw_header)
    plan, problems = _plan(layout, list(header), name)
    if plan is None:
        yield _fatal(name, layout, *problems)
        return
    found = False
    try:
        for read in _read_chunks(reader, name, layout, plan, header):
            found = True
            yield read
    except UnreadableCsv as exc:
        # The orders before it were read, but the file cannot be trusted to be whole.
        yield _fatal(name, layout, Problem(name, exc.line, None, None, exc.why))
        return
    if not found:
        yield _fatal(name, layout, Problem(name, reader.line_num or 1, None, None,
                                           "holds no orders"))  # fmt: skip


def _read_chunks(
    reader: Any, name: str, layout: CsvLayout, plan: _Plan, header: tuple[str, ...]
) -> Iterator[ReadOrder | ReadBatch]:
    """The orders of each chunk: one ReadBatch where the column reader takes the
    chunk, else one ReadOrder per order."""
    columns = ColumnReader(name, header) if layout is GENERIC else None
    for rows, starts in _chunks(reader, plan, len(header), layout.unescape):
        batch = columns.read(rows, starts) if columns is not None else None
        if batch is None:
            yield from _orders(name, rows, starts, layout, plan, header)
        else:
            again = partial(_read_again, name, rows, starts, batch, layout, plan, header)
            yield ReadBatch(batch, again)


def _chunks(
    reader: Any, plan: _Plan, width: int, unescape: bool
) -> Iterator[tuple[list[list[str]], list[int]]]:
    """The rows of about CHUNK_ROWS at a time, cut only where an order begins,
    with the line each row starts on (a quoted cell may span lines)."""
    rows: list[list[str]] = []
    starts: list[int] = []
    # Rows known to be all of one order (its number), when an order spans blocks.
    one_order: tuple[int, str] = (0, "")
    while True:
        before = reader.line_num
        block: list[list[str]] = []
        try:
            block.extend(islice(reader, CHUNK_ROWS))
        except csv.Error as exc:
            # `block` keeps the rows read before the one that failed: it starts after them.
            raise unreadable(_line_after(block, before), exc) from None
        if not block:
            break
        rows += block
        starts += _row_starts(block, before, reader.line_num)
        if len(block) < CHUNK_ROWS:
            break  # the end of the file
        # The last order may go on in the next block: it waits for the next chunk.
        cut, key = _last_order_start(rows, plan, width, unescape, one_order)
        if cut:
            yield rows[:cut], starts[:cut]
            rows, starts = rows[cut:], starts[cut:]
        one_order = (len(rows), key)
    if rows:
        yield rows, starts


def _line_after(block: list[list[str]], before: int) -> int:
    """The line after the rows of `block`, which followed line `before`."""
    return before + 1 + sum(1 + _breaks(cells) for cells in block)


def _breaks(cells: list[str]) -> int:
    """Line breaks (\r\n, \r or \n) inside a row's quoted cells."""
    return sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in cells)


def _row_starts(block: list[list[str]], before: int, after: int) -> list[int]:
    """The line each row of `block` starts on; it followed line `before`, and ended on `after`."""
    if after - before == len(block):
        return list(range(before + 1, after + 1))
    # A quoted cell spans lines: each line break inside it (\r\n, \r or \n) is one more.
    starts = []
    line = before + 1
    for cells in block:
        starts.append(line)
        line += 1 + _breaks(cells)
    return starts


def _last_order_start(
    rows: list[list[str]], plan: _Plan, width: int, unescape: bool, one_order: tuple[int, str]
) -> tuple[int, str]:
    """Where the order of the last of `rows` begins (0: all of `rows`), and its number.

    An order begins at a row whose order number is not empty and unlike the
    one before it (rows without one go on the order above them). The first
    `one_order[0]` rows are known to be one order, numbered `one_order[1]`:
    they are not read again.
    """
    known, known_key = one_order
    start = len(rows)
    key = ""
    for index in range(len(rows) - 1, known - 1, -1):
        found = _row_key(rows[index], plan, width, unescape)
        if not found:
            continue
        if key and found != key:
            return start, key
        key, start = found, index
    if known and key and key != known_key:
        return start, key
    return 0, key or known_key


def _row_key(cells: list[str], plan: _Plan, width: int, unescape: bool) -> str:
    """A row's order number, as `_orders` reads it ("" for a row that continues an order)."""
    if not any(cells):
        return ""
    if unescape:
        cells = [unescape_cell(cell) for cell in cells]
    if len(cells) == width:
        return str(plan.order_values(cells)[plan.key_position]).strip()
    return _key_of_short_row(cells, plan)


def _read_again(
    name: str,
    rows: list[list[str]],
    starts: list[int],
    batch: OrderBatch,
    layout: CsvLayout,
    plan: _Plan,
    header: tuple[str, ...],
    index: int,
) -> ReadOrder:
    """Order `index` of a checked batch, read again the ordinary way (one row per line)."""
    first = batch.line_starts[index]
    last = first + batch.line_counts[index]
    return next(_orders(name, rows[first:last], starts[first:last], layout, plan, header))


def _orders(
    name: str,
    chunk: list[list[str]],
    starts: list[int],
    layout: CsvLayout,
    plan: _Plan,
    header: tuple[str, ...],
) -> Iterator[ReadOrder]:
    """The orders of a chunk of rows, one `ReadOrder` each, every problem found.

    An order begins at a row whose order number is not empty and unlike the
    one before it; rows without one go on the order above them.
    """
    width = len(header)
    group: _Group | None = None
    for cells, start in zip(chunk, starts, strict=True):
        if not any(cells):
            continue
        if layout.unescape:
            cells = _unescaped(cells)
        values, key = _row_values(cells, plan, width)
        if group is None or (key and key != group.key):
            if group is not None:
                yield _finish(group, layout, plan, header)
            group = _Group(name, key, start)
        if not values:
            why = f"has {len(cells)} cells, the header has {width}"
            group.problems.append(Problem(name, start, None, None, why))
        group.add(cells, start, values, plan)
    if group is not None:
        yield _finish(group, layout, plan, header)


def _unescaped(cells: list[str]) -> list[str]:
    """The row's cells with the spreadsheet escape taken off (rare: looked for first)."""
    if "'" not in "".join(cells):
        return cells
    return [unescape_cell(cell) for cell in cells]


def _row_values(cells: list[str], plan: _Plan, width: int) -> tuple[tuple[str, ...], str]:
    """A row's order field values and order number; no values for a row of the wrong width."""
    if len(cells) != width:
        return (), _key_of_short_row(cells, plan)
    values = plan.order_values(cells)
    return values, values[plan.key_position].strip()


def _key_of_short_row(cells: list[str], plan: _Plan) -> str:
    value = cells[plan.key_index] if plan.key_index < len(cells) else ""
    return (plan.key_clean(value) if plan.key_clean else value).strip()


def _merge(group: _Group, values: tuple[str, ...], line: int, plan: _Plan) -> None:
    """A later row of an order: fill what was empty, refuse what disagrees."""
    fields = group.raw.fields
    field_lines = group.raw.field_lines
    for field, value in zip(plan.order_fields, values, strict=True):
        if not value or value.isspace():
            continue
        first = fields.get(field)
        if not first or first.isspace():
            fields[field] = value
            field_lines[field] = line
        elif first.strip() != value.strip():
            first_line = field_lines.get(field, group.raw.line)
            group.problems.append(
                Problem(
                    group.raw.source,
                    line,
                    plan.display[field],
                    value,
                    f"disagrees with line {first_line} of the same order ('{first.strip()}')",
                )
            )


def _finish(group: _Group, layout: CsvLayout, plan: _Plan, header: tuple[str, ...]) -> ReadOrder:
    if group.problems and not group.raw.lines:
        # Only malformed rows: what they lack is said already.
        read = ReadOrder(group.raw.source, layout.name, None, group.problems, group.raw)
    else:
        read = judge_order(group.raw, layout.name, group.problems, plan.display)
    read.rows = group.rows
    read.header = header
    read.row_count = len(group.rows)
    return read


def _fatal(name: str, layout: CsvLayout, *problems: Problem) -> ReadOrder:
    return ReadOrder(name, layout.name, None, list(problems), fatal=True)


def write_generic_csv(out: TextIO, records: Iterable[OrderRecord]) -> int:
    """Write the generic CSV (header, then one row per line); the number of orders."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GENERIC_HEADER)
    count = 0
    for record in records:
        writer.writerows(generic_rows(record))
        count += 1
    return count


def generic_rows(record: OrderRecord) -> list[list[str]]:
    """The generic CSV rows of one order, formula-safe."""
    order = [escape_cell(text) for text in record_texts(record)]
    return [
        [
            *order,
            escape_cell(line.sku),
            escape_cell(line.name),
            str(line.qty),
            "" if line.unit_price is None else str(line.unit_price),
        ]
        for line in record.lines
    ]


def record_texts(record: OrderRecord) -> list[str]:
    """The order fields of `record` as the text the readers take back, in ORDER_FIELDS order."""
    texts = []
    for name in ORDER_FIELDS:
        value = getattr(record, name)
        if value is None:
            texts.append("")
        elif name == "placed_at":
            texts.append(value.isoformat().replace("+00:00", "Z"))
        elif name == "ship_by":
            texts.append(value.isoformat())
        else:
            texts.append(str(value))
    return texts


class RejectsWriter:
    """Writes refused CSV rows under their file's own header."""

    def __init__(self, out: TextIO, header: Sequence[str], layout: CsvLayout) -> None:
        self.writer = csv.writer(out, lineterminator="\r\n")
        self.writer.writerow(header)
        self.layout = layout

    def write(self, rows: list[list[str]]) -> None:
        if self.layout.unescape:
            rows = [[escape_cell(cell) for cell in row] for row in rows]
        self.writer.writerows(rows)
