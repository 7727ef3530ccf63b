"""Read order files of any supported format, one checked order at a time.

The format of each file is told from its header (or `.yaml`/`.yml`), unless
given. Files are read as streams, so a large CSV never sits in memory whole.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import BinaryIO, TextIO

from orderops.domain.orders import OrderRecord
from orderops.errors import InvalidInput, NotFound, UsageProblem
from orderops.formats.csv_orders import (
    GENERIC,
    LAYOUTS,
    RejectsWriter,
    detect_layout,
    read_csv_orders,
    read_header,
)
from orderops.formats.output_file import OutputFile
from orderops.formats.problems import Problem
from orderops.formats.records import RawOrder, ReadBatch, ReadOrder, build_order, judge_order
from orderops.formats.sources import STDIN, display_name, stdin_bytes

FORMATS = ("csv", "yaml", "shopify", "woocommerce")
YAML_SUFFIXES = (".yaml", ".yml")
_YAML_START = re.compile(r"\s*(-|#|---|%|[\w\"' ]+:(\s|$))")


def read_orders(paths: Sequence[str], format: str | None = None) -> Iterator[ReadOrder | ReadBatch]:
    """Every order of every file in `paths`, in order, each checked as it is read.

    Missing files are reported, and standard input is copied to a temporary
    file, before this returns: the orders are read inside the receiving
    transaction, which holds the write lock, and that must never wait on a
    slow pipe.
    """
    if format is not None and format not in FORMATS:
        raise UsageProblem(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    if list(paths).count(STDIN) > 1:
        raise UsageProblem("'-' (standard input) can be given only once")
    for path in paths:
        if path != STDIN:
            _check_readable(path)
    stdin_copy = _spool_stdin() if STDIN in paths else None
    return _read_all(paths, format, stdin_copy)


def _read_all(
    paths: Sequence[str], format: str | None, stdin_copy: BinaryIO | None
) -> Iterator[ReadOrder | ReadBatch]:
    try:
        for path in paths:
            yield from read_file(path, format, stdin_copy)
    finally:
        if stdin_copy is not None:
            stdin_copy.close()


def _spool_stdin() -> BinaryIO:
    source = stdin_bytes()
    copy = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _read_all
    shutil.copyfileobj(source, copy)
    copy.seek(0)
    return copy


def read_file(
    path: str, format: str | None = None, stdin_copy: BinaryIO | None = None
) -> Iterator[ReadOrder | ReadBatch]:
    name = display_name(path)
    with _open_text(path, stdin_copy) as stream:
        try:
            first = stream.readline()
            if first == "":
                why = "is empty: no header, no orders"
                yield ReadOrder(name, format or "?", None, [Problem(name, 1, None, None, why)],
                                fatal=True)  # fmt: skip
                return
            chosen = format or detect_format(path, first)
            if chosen == "yaml":
                yield from _read_yaml(name, first + stream.read())
            else:
                # itertools.chain, not a generator: no Python frame per line.
                lines = chain((first,), stream)
                yield from read_csv_orders(name, lines, LAYOUTS[chosen])
        except UnicodeDecodeError as exc:
            line = _first_bad_line(path) if path != STDIN else None
            why = f"is not UTF-8 text ({exc.reason})"
            yield ReadOrder(name, format or "?", None, [Problem(name, line or 1, None, None, why)],
                            fatal=True)  # fmt: skip


def detect_format(path: str, first_line: str) -> str:
    """The format of a file from its name and first line (the CSV header)."""
    if path.lower().endswith(YAML_SUFFIXES):
        return "yaml"
    layout = detect_layout(read_header(first_line))
    if layout is not None:
        return layout.name
    if _YAML_START.match(first_line) and "," not in first_line.split(":")[0]:
        return "yaml"
    # A CSV we do not recognise is read as the generic layout, whose header
    # check then names the columns that are missing or unknown.
    return GENERIC.name


def _read_yaml(name: str, text: str) -> Iterator[ReadOrder]:
    # PyYAML is loaded only for YAML files: a CSV run does not pay for it.
    from orderops.formats.yaml_orders import read_yaml_orders

    raws, problems = read_yaml_orders(name, text)
    if problems:
        # The file's structure is wrong: no order can be trusted to be whole.
        yield ReadOrder(name, "yaml", None, problems, fatal=True)
    for raw in raws:
        read = judge_order(raw, "yaml")
        read.row_count = max(1, len(raw.lines))
        yield read


def _check_readable(path: str) -> None:
    file = Path(path)
    if not file.exists():
        raise NotFound(f"no such file: {path}")
    if file.is_dir():
        raise NotFound(f"{path} is a directory, not a file")
    if not os.access(file, os.R_OK):
        raise NotFound(f"cannot read {path}: permission denied")


@contextmanager
def _open_text(path: str, stdin_copy: BinaryIO | None = None) -> Iterator[TextIO]:
    """UTF-8 text (BOM or not), line endings kept for the CSV reader."""
    if path == STDIN:
        source = stdin_copy if stdin_copy is not None else stdin_bytes()
        wrapper = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
        try:
            yield wrapper
        finally:
            wrapper.detach()
        return
    try:
        stream = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        yield stream


def _first_bad_line(path: str) -> int | None:
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def build_orders(raws: Sequence[RawOrder]) -> list[OrderRecord]:
    """Records from raw orders (typed at the command line); InvalidInput if any is bad."""
    records: list[OrderRecord] = []
    problems: list[Problem] = []
    for raw in raws:
        record, found = build_order(raw)
        problems.extend(found)
        if record is not None:
            records.append(record)
    _refuse(problems)
    return records


def _refuse(problems: list[Problem]) -> None:
    if problems:
        count = len(problems)
        raise InvalidInput(
            [str(p) for p in problems],
            summary=f"{count} problem{'s' if count != 1 else ''} in the input",
        )


class Rejects:
    """Refused orders, written in their input's own format, to a file made final at the end.

    Rows are kept in an anonymous temporary file while the run goes on; `keep`
    writes them out through `OutputFile` (a regular file replaced whole, a
    device or FIFO written in place) only once the run has succeeded, so a
    failed run writes nothing, and a slow FIFO reader never holds up the
    transaction. The path is checked at once (a directory or a missing folder
    is a UsageProblem).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._output = OutputFile(path, option="--rejects")
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by keep or discard
        self._out: TextIO = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        self._kind: tuple[str, tuple[str, ...]] | None = None
        self._csv: RejectsWriter | None = None
        self.count = 0

    def add(self, read: ReadOrder) -> None:
        kind = (read.format, read.header)
        if self._kind is None:
            self._kind = kind
            if read.format != "yaml":
                self._csv = RejectsWriter(self._out, read.header, LAYOUTS[read.format])
        elif kind != self._kind:
            raise UsageProblem(
                f"--rejects: {read.source} is not of the same format and columns as the "
                "file whose rows were refused first; receive such files one at a time"
            )
        self.count += 1
        if self._csv is not None:
            self._csv.write(read.rows)
        elif read.raw is not None:
            self._out.write(_yaml_item(read.raw))

    def keep(self) -> None:
        """Write the rejects out (OutputLost if that fails; nothing is left half-written)."""
        try:
            self._out.flush()
            spool = self._out.buffer
            spool.seek(0)
            target = self._output.open(binary=True)
            try:
                shutil.copyfileobj(spool, target)
            except OSError as exc:
                self._output.discard()
                raise self._output.lost(exc) from exc
            self._output.finish()
        finally:
            self._out.close()

    def discard(self) -> None:
        self._output.discard()
        self._out.close()


def _yaml_item(raw: RawOrder) -> str:
    order: dict[str, object] = dict(raw.fields)
    if raw.lines:
        order["lines"] = [dict(line.fields) for line in raw.lines]
    import yaml  # only for rejects of YAML files: CSV runs need not load it

    dumped: str = yaml.safe_dump(
        [order], allow_unicode=True, sort_keys=False, default_flow_style=False
    )
    return dumped
