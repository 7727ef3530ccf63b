"""Every output file of every command (exports, rejects, and the PDFs, labels and
reports to come) is written here, one way.

- `-` is standard output.
- An existing target that is not a regular file (a device such as /dev/null or
  /dev/full, a FIFO, a terminal, a symlink to one of those) is opened and
  written in place: renaming a file over it would replace the device node or
  the pipe, not feed it.
- /dev/stdout and /dev/stderr (and /dev/fd/1, /dev/fd/2 and their /proc forms)
  write to that descriptor itself, as the shell set it up (appending stays
  appending). Other descriptor paths are refused: any other descriptor this
  process holds is its own (the database file, a temporary file).
- A regular file, or a symlink to one, is replaced atomically: the bytes go to
  a temporary file beside the file itself (the symlink's target, so the symlink
  stays a symlink), which takes the old file's permission mode (a new file gets
  the mode the umask gives, as `open()` would) and is renamed over it once
  complete. On any failure, including one in the caller's own writing, the
  temporary file is removed and the old file is left as it was.
- A directory, a missing folder or a folder that cannot be written is a
  UsageProblem (exit 2) naming the option, found before anything is written.
  A failure while writing or putting the file in place is OutputLost (exit 8).
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

from orderops.errors import OutputLost, UsageProblem

STDOUT = "-"
# Paths that name a descriptor this process holds; only standard output and error
# are the caller's to name.
_DESCRIPTOR = re.compile(
    r"/dev/(?P<name>stdout|stderr)|/dev/fd/(?P<fd>\d+)|/proc/(?P<pid>self|\d+)/fd/(?P<pfd>\d+)"
)
_STANDARD = {"stdout": 1, "stderr": 2}


class OutputFile:
    """Where one output goes, checked when made; `open` it (or use `with`), write,
    then `finish` (the file appears whole) or `discard` (nothing appears)."""

    def __init__(self, path: str, *, option: str = "-o") -> None:
        if not path:
            raise UsageProblem(f"{option} is empty: give a file path, or '-' for standard output")
        self.path = path
        self.option = option
        self._stream: IO[Any] | None = None
        self._temp: Path | None = None
        self._mode: int | None = None  # the old file's permission bits, to keep
        self._owner: tuple[int, int] | None = None
        if path == STDOUT:
            self.kind = "stdout"
            self.target = Path(path)
            return
        self.kind, self.target, existing = _where(path, option)
        if existing is not None:
            self._mode = stat.S_IMODE(existing.st_mode)
            self._owner = (existing.st_uid, existing.st_gid)

    @property
    def in_place(self) -> bool:
        """Whether bytes reach the target as they are written (stdout, devices, FIFOs)."""
        return self.kind != "replace"

    @overload
    def open(self, *, binary: Literal[False] = False, encoding: str = "utf-8") -> TextIO: ...
    @overload
    def open(self, *, binary: Literal[True], encoding: str = "utf-8") -> BinaryIO: ...
    @overload
    def open(self, *, binary: bool, encoding: str = "utf-8") -> IO[Any]: ...
    def open(self, *, binary: bool = False, encoding: str = "utf-8") -> IO[Any]:
        """The stream to write to: text (UTF-8, line endings as written) or binary."""
        if self.kind == "stdout":
            raw: IO[bytes] = sys.stdout.buffer
        elif self.kind in ("in_place", "descriptor"):
            raw = self._open_in_place()
        else:
            raw = self._open_temp()
        if binary:
            self._stream = raw
        else:
            self._stream = io.TextIOWrapper(
                raw, encoding=encoding, newline="", write_through=self.kind == "stdout"
            )
        return self._stream

    def finish(self) -> None:
        """Flush, and for a regular file put it in place (keeping the old mode)."""
        stream = self._stream
        try:
            if stream is not None:
                stream.flush()
                if self.kind == "stdout":
                    if isinstance(stream, io.TextIOWrapper):
                        stream.detach()
                else:
                    if self._temp is not None:
                        os.fsync(stream.fileno())
                    stream.close()
                self._stream = None
            if self._temp is not None:
                self._put_in_place(self._temp)
                self._temp = None
        except OSError as exc:
            self.discard()
            raise self.lost(exc) from exc

    def discard(self) -> None:
        """Close without putting anything in place; never raises."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with suppress(OSError, ValueError):
                if self.kind == "stdout":
                    if isinstance(stream, io.TextIOWrapper):
                        stream.detach()
                else:
                    stream.close()
        temp, self._temp = self._temp, None
        if temp is not None:
            with suppress(OSError):
                temp.unlink()

    def __enter__(self) -> TextIO:
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if value is None:
            self.finish()
            return
        self.discard()
        if isinstance(value, OSError):
            raise self.lost(value) from value

    def lost(self, exc: OSError) -> OutputLost:
        """OutputLost for a failure to write this output (exit 8)."""
        why = exc.strerror or str(exc)
        if self.kind == "stdout":
            _drop_pending_stdout()
        return OutputLost(
            why if self.kind == "stdout" else f"{self.option} {self.path}: {why}",
            broken_pipe=self.kind == "stdout" and isinstance(exc, BrokenPipeError),
        )

    def _open_in_place(self) -> IO[bytes]:
        if self.kind == "descriptor":
            descriptor = _descriptor(self.path)
            assert descriptor is not None  # checked when made
            try:  # the shell's own descriptor, with its offset and O_APPEND
                return open(os.dup(descriptor), "wb")  # noqa: SIM115
            except OSError as exc:
                raise self._refused(exc) from None
        # No O_CREAT: the target was there when checked and must still be; no
        # O_TRUNC, which means nothing to a device or FIFO and would cut a
        # descriptor path's file under the shell that opened it.
        try:
            fd = os.open(self.target, os.O_WRONLY | os.O_NOCTTY)
        except OSError as exc:
            raise self._refused(exc) from None
        return open(fd, "wb")  # noqa: SIM115 - closed by finish or discard

    def _open_temp(self) -> IO[bytes]:
        folder = self.target.parent
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".tmp")
        except OSError as exc:
            raise self._refused(exc) from None
        self._temp = Path(name)
        try:
            os.fchmod(fd, self._mode if self._mode is not None else _new_file_mode())
            if self._owner is not None:
                with suppress(OSError):  # only root may give a file away
                    os.fchown(fd, *self._owner)
        except OSError:
            os.close(fd)
            self.discard()
            raise
        return open(fd, "wb")  # noqa: SIM115 - closed by finish or discard

    def _put_in_place(self, temp: Path) -> None:
        os.replace(temp, self.target)
        # The rename itself is made durable with the folder (best effort).
        with suppress(OSError):
            folder = os.open(self.target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def _refused(self, exc: OSError) -> UsageProblem:
        if isinstance(exc, PermissionError | IsADirectoryError) or exc.errno in _REFUSED:
            folder = self.target if self.in_place else self.target.parent
            return UsageProblem(
                f"{self.option}: cannot write {self.path}: {exc.strerror} ({folder})"
            )
        return UsageProblem(f"{self.option}: cannot write {self.path}: {exc.strerror or exc}")


_REFUSED = {30}  # EROFS: a read-only file system


def _where(path: str, option: str) -> tuple[str, Path, os.stat_result | None]:
    """("in_place", "descriptor" or "replace", the file to write, the regular file there now if
    any) for a path; UsageProblem if it cannot be written at all."""
    given = Path(path)
    if _DESCRIPTOR.fullmatch(os.path.abspath(path)):
        if _descriptor(path) not in (1, 2):
            raise UsageProblem(
                f"{option}: {path} is not standard output or error; give a file path "
                "(or /dev/stdout, /dev/stderr)"
            )
        return "descriptor", given, None
    try:
        status = given.stat()  # follows symlinks
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise UsageProblem(f"{option}: cannot use {path}: {exc.strerror}") from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise UsageProblem(f"{option}: {path} is a directory; give a file path")
    if status is not None and not stat.S_ISREG(status.st_mode):
        return "in_place", given, None
    # A regular file, a new one, or a symlink to either: the file itself is written.
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.is_dir():
        raise UsageProblem(f"{option}: no such folder: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageProblem(f"{option}: cannot write {path}: the folder {folder} is not writable")
    return "replace", target, status


def _descriptor(path: str) -> int | None:
    """The descriptor a descriptor path names in this process (None: another's)."""
    found = _DESCRIPTOR.fullmatch(os.path.abspath(path))
    assert found is not None
    if found["name"]:
        return _STANDARD[found["name"]]
    if found["pid"] not in (None, "self", str(os.getpid())):
        return None
    return int(found["fd"] or found["pfd"])


def _new_file_mode() -> int:
    """The mode `open()` would give a new file: 0o666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _drop_pending_stdout() -> None:
    """Point standard output at /dev/null, so that bytes still buffered in it are not
    written (and fail again, with a traceback) as the interpreter exits."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def write_output(path: str, data: bytes | str, *, option: str = "-o") -> None:
    """Write `data` whole to `path` (see the module's rules): for documents made in memory."""
    output = OutputFile(path, option=option)
    stream = output.open(binary=isinstance(data, bytes))
    try:
        stream.write(data)
    except BaseException as exc:
        output.discard()
        if isinstance(exc, OSError):
            raise output.lost(exc) from exc
        raise
    output.finish()
