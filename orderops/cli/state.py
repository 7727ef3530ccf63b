"""What the global options leave for the commands: where the database is, who acts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from orderops.services.database import Database


@dataclass
class AppState:
    db: str | None = None
    actor: str | None = None
    _database: Database | None = field(default=None, repr=False)
    # The command running ("orderops stock add"), for messages.
    command: str = ""
    # Write transactions committed by the command, counted when it closes the database.
    _commits: int = 0

    @property
    def recorded(self) -> bool:
        """Whether the command has committed a change (then an output that fails must
        not be reported as if nothing had been done)."""
        return self._commits > 0 or (self._database is not None and self._database.commits > 0)

    def record(self) -> None:
        """Count a change committed outside `database()` (`db upgrade` opens its own)."""
        self._commits += 1

    def database(self, *, write: bool = True) -> Database:
        """The database, opened (and for a command that writes, created or its
        schema brought up to date) on first use.

        Commands that only read pass write=False: the database is then opened
        read-only, and a mistyped path, an empty file or an old schema is an
        error rather than a new or upgraded database.
        """
        if self._database is None:
            from orderops.services.database import open_database

            self._database = open_database(self.db, write=write)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._commits += self._database.commits
            self._database.close()
            self._database = None

    def who(self) -> str:
        from orderops.services.actor import resolve_actor

        return resolve_actor(self.actor)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    if not obj.command:
        names = []
        while ctx.parent is not None:
            names.append(ctx.info_name or "")
            ctx = ctx.parent
        obj.command = " ".join(["orderops", *reversed(names)])
    return obj
