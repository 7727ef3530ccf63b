"""One child process, timed: what the benchmarks measure of each run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds, user and system: time spent waiting for a core is not the program's
    peak_mib: float  # peak resident memory


def run_timed(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Timing:
    """Run `argv` to its end; exit the benchmark, with the child's stderr, if it fails.

    Its stderr goes to a file, not a pipe: nothing reads a pipe while the child
    runs, and a child that says much (every refused row of a bad file) would
    block on a full one.
    """
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace")
            sys.exit(f"{' '.join(argv)} failed ({code}):\n{said}")
    return Timing(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
