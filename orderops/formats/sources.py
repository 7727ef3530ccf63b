"""Reading an input file (or stdin) as text, with errors a user can act on."""

from __future__ import annotations

import sys
from pathlib import Path

from orderops.errors import InvalidInput, NotFound
from orderops.formats.problems import Problem

STDIN = "-"


def display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def read_bytes(path: str) -> bytes:
    """The file's bytes; `-` is standard input. A missing file is NotFound."""
    if path == STDIN:
        return sys.stdin.buffer.read()
    file = Path(path)
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}") from None
    except IsADirectoryError:
        raise NotFound(f"{path} is a directory, not a file") from None
    except PermissionError:
        raise NotFound(f"cannot read {path}: permission denied") from None


def decode(name: str, data: bytes) -> str:
    """UTF-8 text, with or without BOM; anything else is refused with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            [str(Problem(name, line, None, None, f"is not UTF-8 text (byte {exc.start})"))]
        ) from None


def read_text(path: str) -> tuple[str, str]:
    """(name to show in messages, text) of a file or of stdin."""
    name = display_name(path)
    return name, decode(name, read_bytes(path))
