"""How results are shown: Rich for people, stable JSON for scripts.

Everything a person reads goes through `shown`: lines through `say` (stdout) and
the error handler's `error:`/`warning:` lines, tables through `table` (every cell,
header and title), so that nothing from the data (a name, a reason, a header of a
file) can drive the terminal: control characters, escape sequences, bidirectional
overrides and invisible characters are shown escaped (`\\x1b`, `\\u202e`), and
Rich markup in the data (`[bold]`, `[link=...]`) prints as written.

json, datetime and decimal are imported inside the functions: every command
module imports this one, and `orderops --help` should not pay for them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderops.domain.characters import json_text, shown_text
from orderops.domain.json_values import json_default


def shown(value: object) -> str:
    """`value` as text for a person: unsafe characters escaped, the rest as it is."""
    return shown_text("" if value is None else str(value))


def say(text: str = "", *, err: bool = False) -> None:
    """One line for a person, on stdout (or stderr), through `shown`."""
    print(shown(text), file=sys.stderr if err else sys.stdout)


def print_json(data: Any) -> None:
    """The data exactly, for scripts; what JSON leaves raw and would drive a terminal
    (C1 controls, bidirectional and invisible characters) as \\u escapes."""
    import json

    # On a stdout that cannot write every character (PYTHONIOENCODING=ascii), JSON's own
    # \u escapes: a backslash escape of Python's would not be JSON for U+10000 and up.
    unicode = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf")
    dumped = json.dumps(data, indent=2, ensure_ascii=not unicode, default=json_default)
    sys.stdout.write(json_text(dumped) + "\n")


def local_time(value: datetime | None) -> str:
    """A stored UTC time, shown in the machine's local time (in UTC where it has none)."""
    from orderops.services.clock import local_text

    return "" if value is None else local_text(value)


def console() -> Any:
    from rich.console import Console

    # soft_wrap: lines are not cut at 80 columns when piped into a file or grep.
    return Console(highlight=False, emoji=False, soft_wrap=True)


# On a narrow terminal a column other than an identifier may be squeezed down to
# this many columns (its text wraps and folds) before it is left out.
SQUEEZED = 8


@dataclass
class Grid:
    """Rows for a table, every cell already through `shown`. Identifier columns (order
    numbers, SKUs, bins) are never cut: on a narrow terminal the other columns wrap,
    then free-text columns and then the rest are left out (saying so), and only an
    identifier wider than the terminal itself is folded onto a second line."""

    columns: tuple[str, ...]
    title: str | None = None
    identifiers: frozenset[str] = frozenset()
    free_text: frozenset[str] = frozenset()
    rows: list[list[str]] = field(default_factory=list)

    def add_row(self, *cells: object) -> None:
        self.rows.append([shown(cell) for cell in cells])

    def widths(self) -> list[int]:
        """Each column's widest cell (its header included), in terminal cells."""
        from rich.cells import cell_len

        return [
            max([cell_len(self.columns[i]), *(cell_len(row[i]) for row in self.rows)])
            for i in range(len(self.columns))
        ]

    def fitting(self, width: int) -> list[int]:
        """The columns (indexes) to show in `width` terminal cells."""
        widest = self.widths()
        kept = list(range(len(self.columns)))
        needed = {
            i: w if self.columns[i] in self.identifiers else min(w, SQUEEZED)
            for i, w in enumerate(widest)
        }
        droppable = [i for i in reversed(kept) if self.columns[i] in self.free_text] + [
            i for i in reversed(kept) if self.columns[i] not in self.free_text | self.identifiers
        ]
        for i in droppable:
            if sum(needed[k] for k in kept) + 2 * (len(kept) - 1) <= width:
                break
            kept.remove(i)
        return kept

    def rich(self, kept: list[int]) -> Any:
        from rich.table import Table
        from rich.text import Text

        title = Text(shown(self.title)) if self.title else None
        grid = Table(title=title, title_justify="left", box=None, pad_edge=False)
        widest = self.widths()
        for i in kept:
            name = self.columns[i]
            # A fixed width keeps an identifier on one line while it fits at all;
            # folding (not an ellipsis) shows the whole of anything wider.
            fixed = widest[i] if name in self.identifiers else None
            grid.add_column(Text(shown(name)), width=fixed, overflow="fold")
        for row in self.rows:
            grid.add_row(*(Text(row[i]) for i in kept))
        return grid


def table(
    *columns: str,
    title: str | None = None,
    identifiers: tuple[str, ...] = (),
    free_text: tuple[str, ...] = (),
) -> Grid:
    """A table for people (see Grid): `identifiers` name the columns never cut,
    `free_text` those left out first on a narrow terminal."""
    return Grid(columns, title, frozenset(identifiers), frozenset(free_text))


def print_table(grid: Grid) -> None:
    """A table on a terminal as Rich draws it, fitted to its width (see Grid); into a
    pipe, one unwrapped line per row without trailing blanks, so that grep and awk see
    whole rows."""
    from rich.console import Console

    out = Console(highlight=False, emoji=False)
    if out.is_terminal:
        kept = grid.fitting(out.width)
        out.print(grid.rich(kept))
        left_out = [name for i, name in enumerate(grid.columns) if i not in kept]
        if left_out:
            names = ", ".join(left_out)
            say(f"(not shown at this width: {names}; widen the terminal or use --json)")
        return
    wide = Console(highlight=False, emoji=False, width=100_000, no_color=True)
    with wide.capture() as captured:
        wide.print(grid.rich(list(range(len(grid.columns)))))
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


class GuardedStdout:
    """Standard output while a command runs: a write or flush that fails (a full disk,
    a closed stdout, a reader gone away) raises OutputLost, which the one error handler
    in `orderops.cli` reports, telling apart a command that had already recorded its
    change. Everything else is the real stream's."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.lost = False

    def write(self, text: str) -> int:
        if self.lost:
            return len(text)  # already reported: the rest goes nowhere
        with self._guarded():
            return int(self._open().write(text))

    def flush(self) -> None:
        if self.lost or self.stream is None:
            return
        with self._guarded():
            self.stream.flush()

    def isatty(self) -> bool:
        return self.stream is not None and bool(self.stream.isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._open(), name)

    def _open(self) -> Any:
        if self.stream is None:
            from orderops.errors import OutputLost

            self.lost = True
            raise OutputLost("standard output is closed")
        return self.stream

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        from orderops.errors import OutputLost

        try:
            yield
        except (OSError, UnicodeEncodeError) as exc:
            self.lost = True
            self._drop_pending()
            raise OutputLost(_why(exc), broken_pipe=isinstance(exc, BrokenPipeError)) from exc

    def _drop_pending(self) -> None:
        """Point the real stdout at /dev/null, so that what is still buffered in it
        is not written (and fails again, with a traceback) as the interpreter exits."""
        import os

        try:
            fd = self.stream.fileno()
        except (OSError, ValueError, AttributeError):
            return  # not a file (a test's capture): nothing is flushed at exit
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


@contextmanager
def guarded_stdout() -> Iterator[GuardedStdout]:
    """sys.stdout guarded (see GuardedStdout) for the length of the block."""
    real = sys.stdout
    guarded = GuardedStdout(real)
    sys.stdout = guarded  # type: ignore[assignment]
    try:
        yield guarded
    finally:
        sys.stdout = real
