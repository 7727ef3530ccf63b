"""Reading an input file (or stdin) as text, with errors a user can act on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

from orderops.errors import InvalidInput, NotFound
from orderops.formats.problems import Problem

STDIN = "-"


def display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def stdin_bytes() -> BinaryIO:
    """Standard input, as bytes; NotFound when the command was started with it closed
    (`orderops receive - <&-`), as for a file that does not exist."""
    if sys.stdin is None:
        raise NotFound("cannot read standard input ('-'): it is closed")
    return sys.stdin.buffer


def read_bytes(path: str) -> bytes:
    """The file's bytes; `-` is standard input. A missing file is NotFound."""
    if path == STDIN:
        return stdin_bytes().read()
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
