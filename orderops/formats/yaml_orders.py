"""YAML order files: one order (a mapping) or a list of them, lines nested.

Scalars are read as plain strings (no YAML type guessing), so that a postal
code such as 01234 or an order number such as 1e3 stays exactly as written,
and no tag can build a Python object: any explicit tag is refused.

Anchors and aliases (`&name`, `*name`) are refused too, before any node is
built: they have no use in an order or stock file, and a few kilobytes of
aliases to aliases ("billion laughs") stand for more values than memory holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

import yaml

from orderops.domain.orders import ORDER_FIELDS, OrderRecord
from orderops.formats.csv_orders import record_texts
from orderops.formats.problems import Problem
from orderops.formats.records import RawLine, RawOrder

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_Loader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def compose(name: str, text: str) -> tuple[yaml.Node | None, list[Problem]]:
    """The document's node tree (scalars untyped), or the syntax error or the first
    anchor or alias as a Problem."""
    try:
        anchored = _first_anchor(name, text)
        if anchored is not None:
            return None, [anchored]
        return yaml.compose(text, Loader=_Loader), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        why = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(name, line or 1, None, None, f"is not valid YAML: {why}")]


def _first_anchor(name: str, text: str) -> Problem | None:
    """The first anchor or alias of the text, as a Problem, found among the parser's
    events (one per anchor or alias as written, however much they would expand to),
    before any node is built."""
    if "&" not in text and "*" not in text:
        return None  # neither can be written without its sign: the common case, free
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            what = "an alias (*name)"
        elif getattr(event, "anchor", None) is not None:
            what = "an anchor (&name)"
        else:
            continue
        why = f"{what} is not accepted: YAML anchors and aliases have no use in this file"
        mark = event.start_mark
        return Problem(name, mark.line + 1 if mark is not None else 1, None, None, why)
    return None


def read_yaml_orders(name: str, text: str) -> tuple[list[RawOrder], list[Problem]]:
    """Raw orders with their line numbers, and the problems of shape found."""
    root, problems = compose(name, text)
    if problems:
        return [], problems
    if root is None:
        return [], [Problem(name, 1, None, None, "holds no orders")]
    reader = _Reader(name)
    is_list = isinstance(root, yaml.SequenceNode) and reader.plain(root)
    items = root.value if is_list else [root]
    orders = [order for node in items if (order := reader.order(node)) is not None]
    if not items:
        reader.problem(root, None, "holds no orders")
    return orders, reader.problems


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node, column: str | None, why: str) -> None:
        self.problems.append(Problem(self.name, _line(node), column, None, why))

    def plain(self, node: yaml.Node) -> bool:
        if node.tag in _PLAIN_TAGS:
            return True
        self.problem(node, None, f"YAML tag {node.tag} is not accepted")
        return False

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]] | None:
        if not self.plain(node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, None, f"{what} must be a mapping of field: value")
            return None
        pairs = []
        seen: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or not self.plain(key):
                self.problem(key, None, "a field name must be plain text")
                continue
            if key.value in seen:
                self.problem(key, key.value, f"is given twice (first on line {seen[key.value]})")
                continue
            seen[key.value] = _line(key)
            pairs.append((key.value, value))
        return pairs

    def scalar(self, node: yaml.Node, column: str) -> str | None:
        if not self.plain(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, column, "must be a single value")
            return None
        # A bare `~` or `null` means "not given", as an empty value does.
        if node.style is None and node.value in ("~", "null", "Null", "NULL"):
            return ""
        return str(node.value)

    def order(self, node: yaml.Node) -> RawOrder | None:
        pairs = self.mapping(node, "an order")
        if pairs is None:
            return None
        order = RawOrder(self.name, _line(node), {})
        for key, value in pairs:
            if key == "lines":
                order.lines = self.lines(value)
                continue
            text = self.scalar(value, key)
            if text is not None:
                order.fields[key] = text
                order.field_lines[key] = _line(value)
        return order

    def lines(self, node: yaml.Node) -> list[RawLine]:
        if not isinstance(node, yaml.SequenceNode) or not self.plain(node):
            self.problem(node, "lines", "must be a list of order lines")
            return []
        result = []
        for item in node.value:
            pairs = self.mapping(item, "an order line")
            if pairs is None:
                continue
            line = RawLine(_line(item), {})
            for key, value in pairs:
                text = self.scalar(value, key)
                if text is not None:
                    line.fields[key] = text
                    line.field_lines[key] = _line(value)
            result.append(line)
        return result


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def write_yaml_orders(out: TextIO, records: Iterable[OrderRecord]) -> int:
    """Write a YAML list of orders, every value as text; the number of orders."""
    count = 0
    for record in records:
        order: dict[str, Any] = dict(zip(ORDER_FIELDS, record_texts(record), strict=True))
        order["lines"] = [
            {
                "sku": line.sku,
                "name": line.name,
                "qty": str(line.qty),
                "unit_price": "" if line.unit_price is None else str(line.unit_price),
            }
            for line in record.lines
        ]
        out.write(
            yaml.safe_dump(
                [order], allow_unicode=True, sort_keys=False, default_flow_style=False, width=2**30
            )
        )
        count += 1
    if not count:
        out.write("[]\n")
    return count
