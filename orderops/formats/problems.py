"""A bad place in an input file, said the way the user can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    column: str | None
    value: str | None
    why: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        parts = [where]
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.value is not None:
            parts.append(f"value '{_shorten(self.value)}'")
        parts.append(self.why)
        return ": ".join(parts)


def _shorten(value: str, limit: int = 60) -> str:
    """The value on one line, control characters (NUL, ESC...) written as escapes."""
    flat = value if value.isprintable() else repr(value)[1:-1]
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
