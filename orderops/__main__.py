"""The `orderops` program: the `orderops` command and `python -m orderops`."""

import gc
import os
import sys


def main() -> None:
    _plug_closed_streams()
    try:
        try:
            from orderops.cli import app
        except KeyboardInterrupt:  # Ctrl-C while starting: the CLI's handler is not up yet
            print("error: interrupted; nothing more was written", file=sys.stderr)
            sys.exit(130)
        app()
    finally:
        # At exit the interpreter's last collection walks every object still alive (the
        # libraries' own, hundreds of thousands, cold in the CPU's caches): tens of ms of
        # `--help`, a fifth of a second after 100,000 orders. Frozen, they are passed over,
        # and so is whatever they would free. That is safe only because everything that
        # must be closed (database connections, files) is closed before `app` returns.
        # Only here, in a process about to end (tests call `app` and go on).
        gc.freeze()


def _plug_closed_streams() -> None:
    """Put /dev/null on a standard descriptor the program was started without
    (`orderops list >&-`, `receive - <&-`), so that no file opened later (the
    database) takes descriptor 0, 1 or 2 and gets what was meant for the stream.

    Python has already set sys.stdin or sys.stdout to None for it, and the command
    says so in one line when it needs that stream. A closed stderr becomes /dev/null
    for sys.stderr too: print() to a None stderr would write errors to stdout."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: fd itself
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process


if __name__ == "__main__":
    main()
