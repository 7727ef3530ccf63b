"""Ctrl-C that is never dropped on the way.

Python raises KeyboardInterrupt wherever the main thread happens to be when
SIGINT comes. Where that is a weakref callback or a `__del__` (SQLAlchemy runs
many), the exception cannot go up: it is printed as "Exception ignored in ..."
and dropped, and the command goes on as if nothing had happened. While a
command runs, such a dropped KeyboardInterrupt is not printed but raised again,
at the next point it can go up from, and so reaches the one error handler.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

RAISED_AGAIN_AFTER = 0.01  # seconds


def _interrupt_main() -> None:
    # A real signal to the main thread: it also ends a wait (a sleep, a read) there.
    main = threading.main_thread().ident
    if main is not None:
        signal.pthread_kill(main, signal.SIGINT)


@contextmanager
def interrupts_delivered() -> Iterator[None]:
    """For the length of the block, a KeyboardInterrupt dropped in a callback is
    raised again. Left alone where SIGINT is not Python's own (ignored, as in a
    shell's background job) or off the main thread."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_type, type) and issubclass(info.exc_type, KeyboardInterrupt):
            # Raised again from another thread, a moment later: once this hook and the
            # callback are done (raised at once, it would land in this hook, and be dropped).
            again = threading.Timer(RAISED_AGAIN_AFTER, _interrupt_main)
            again.daemon = True
            again.start()
            return
        previous_hook(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
