"""Errors of orderops: each kind carries the exit code the CLI ends with.

The core raises these; one handler in `orderops.cli` prints `error: ...` and
exits with `exit_code`. The codes are documented in the README.
"""

from __future__ import annotations

from collections.abc import Sequence


class OrderOpsError(Exception):
    """Something went wrong that the user should hear about in one line."""

    exit_code = 1


class UsageProblem(OrderOpsError):
    """The command was called in a way that cannot work."""

    exit_code = 2


class NotFound(OrderOpsError):
    """An order, file or other named thing does not exist."""

    exit_code = 3


class InvalidInput(OrderOpsError):
    """Input data is malformed; `problems` lists every bad place found."""

    exit_code = 4
    shown = 20

    def __init__(self, problems: Sequence[str], summary: str = "", total: int = 0) -> None:
        self.problems = list(problems)
        # How many problems there were, when `problems` holds only the first ones.
        self.total = max(total, len(self.problems))
        self.summary = summary or (
            self.problems[0] if self.total == 1 else f"{self.total} problems"
        )
        super().__init__(self.summary)

    def lines(self) -> list[str]:
        """The problems as they are shown: the first `shown`, then a count."""
        lines = self.problems[: self.shown]
        rest = self.total - len(lines)
        if rest:
            lines.append(f"... and {rest} more")
        return lines


class Conflict(OrderOpsError):
    """The request contradicts what the database already holds."""

    exit_code = 5


class TransitionRefused(Conflict):
    """The lifecycle does not allow this action from the order's status."""


class DatabaseError(OrderOpsError):
    """The database is busy, unreachable, or of a schema this version cannot use."""

    exit_code = 6


class DatabaseBusy(DatabaseError):
    """Another process held the write lock longer than we were willing to wait."""


class PartlyDone(OrderOpsError):
    """Part of the work was committed, then the rest failed; the message says what was
    committed. `result` is what the committed part amounts to (for --json)."""

    exit_code = 7

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class Interrupted(OrderOpsError):
    """Ctrl-C (SIGINT) stopped the command: the transaction it was in rolled back;
    what it had committed before (a chunk of `process`) stands, and the message says so."""

    exit_code = 130

    def __init__(self, message: str = "interrupted; nothing more was written") -> None:
        super().__init__(message)


def nothing_more_written(message: str) -> str:
    """A failure's message, for after some work was committed: what it did not write
    is nothing *more*."""
    return message.replace("nothing was written", "nothing more was written")


class OutputLost(OrderOpsError):
    """The results could not be written out: standard output full, closed or a broken
    pipe, an output file that could not be put in place. What the command recorded in
    the database stays recorded."""

    exit_code = 8

    def __init__(self, reason: str, *, broken_pipe: bool = False) -> None:
        super().__init__(reason)
        # The reader went away (`orderops list | head -1`): nothing more was wanted.
        self.broken_pipe = broken_pipe
