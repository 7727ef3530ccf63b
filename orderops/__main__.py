"""The `orderops` program: the `orderops` command and `python -m orderops`."""

import gc

from orderops.cli import app


def main() -> None:
    try:
        app()
    finally:
        # At exit the interpreter's last collection walks every object still alive (the
        # libraries' own, hundreds of thousands, cold in the CPU's caches): tens of ms of
        # `--help`, a fifth of a second after 100,000 orders. Frozen, they are passed over,
        # and so is whatever they would free. That is safe only because everything that
        # must be closed (database connections, files) is closed before `app` returns.
        # Only here, in a process about to end (tests call `app` and go on).
        gc.freeze()


if __name__ == "__main__":
    main()
