"""Run a benchmark's timed pairs on one CPU.

On this shared machine one CPU can run a third slower than the other for
minutes at a time. Each pair (orderops and its baseline) runs back to back;
pinned to one CPU, both of a pair meet the same CPU, so its ratio does not
depend on where the scheduler happened to put each one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def on_one_cpu() -> Iterator[int]:
    """Pin this process, and the processes it starts, to one of its CPUs meanwhile."""
    allowed = os.sched_getaffinity(0)
    cpu = min(allowed)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, allowed)
