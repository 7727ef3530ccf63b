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

    def database(self, *, create: bool = True) -> Database:
        """The database, opened (and its schema brought up to date) on first use.

        Commands that only read pass create=False: a mistyped path is then an
        error rather than a new, empty database.
        """
        if self._database is None:
            from orderops.services.database import open_database

            self._database = open_database(self.db, create=create)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None

    def who(self) -> str:
        from orderops.services.actor import resolve_actor

        return resolve_actor(self.actor)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj
