"""How results are shown: Rich for people, stable JSON for scripts.

json, datetime and decimal are imported inside the functions: every command
module imports this one, and `orderops --help` should not pay for them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from orderops.domain.json_values import json_default


def print_json(data: Any) -> None:
    import json

    # On a stdout that cannot write every character (PYTHONIOENCODING=ascii), JSON's own
    # \u escapes: a backslash escape of Python's would not be JSON for U+10000 and up.
    unicode = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf")
    text = json.dumps(data, indent=2, ensure_ascii=not unicode, default=json_default)
    sys.stdout.write(text + "\n")


def local_time(value: datetime | None) -> str:
    """A stored UTC time, shown in the machine's local time (in UTC where it has none)."""
    from orderops.services.clock import local_text

    return "" if value is None else local_text(value)


def console() -> Any:
    from rich.console import Console

    # soft_wrap: lines are not cut at 80 columns when piped into a file or grep.
    return Console(highlight=False, soft_wrap=True)


def table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for column in columns:
        grid.add_column(column)
    return grid


def print_table(grid: Any) -> None:
    """A table on a terminal as Rich draws it; into a pipe, one unwrapped line per
    row without trailing blanks, so that grep and awk see whole rows."""
    from rich.console import Console

    out = Console(highlight=False)
    if out.is_terminal:
        out.print(grid)
        return
    wide = Console(highlight=False, width=100_000, no_color=True)
    with wide.capture() as captured:
        wide.print(grid)
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
