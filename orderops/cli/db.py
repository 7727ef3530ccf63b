"""`orderops db`: where the database is, its schema version, upgrading it."""

from __future__ import annotations

import typer

from orderops.cli.options import JsonOption
from orderops.cli.output import print_json
from orderops.cli.state import state

app = typer.Typer(help="The database: status and upgrade.", no_args_is_help=True)


def _open(ctx: typer.Context, *, create: bool):  # type: ignore[no-untyped-def]
    from orderops.store.database import Database

    database = Database(state(ctx).db, migrate=False, create=create)
    ctx.call_on_close(database.close)
    return database


@app.command()
def status(
    ctx: typer.Context,
    json_out: JsonOption = False,
) -> None:
    """Show which database is used and whether its schema is current."""
    from orderops.store.database import translated_errors
    from orderops.store.schema import refuse_if_newer, schema_state

    database = _open(ctx, create=False)
    with translated_errors(database.url):
        current = schema_state(database.engine)
    info = {
        "url": database.safe_url,
        "engine": database.dialect,
        "revision": current.current,
        "head": current.head,
        "pending": current.pending,
        "newer_than_code": current.is_newer,
    }
    if json_out:
        print_json(info)
    else:
        print(f"database: {info['url']} ({info['engine']})")
        print(f"schema:   {current.current or 'empty'} (this orderops: {current.head})")
        if current.is_newer:
            print("state:    newer than this orderops; upgrade orderops")
        elif current.pending:
            pending = ", ".join(current.pending)
            print(f"state:    {len(current.pending)} migration(s) pending: {pending}")
        else:
            print("state:    up to date")
    refuse_if_newer(current)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Bring the schema up to date (orderops also does this by itself on first use)."""
    from orderops.store.database import translated_errors
    from orderops.store.schema import refuse_if_newer, schema_state
    from orderops.store.schema import upgrade as run_upgrade

    database = _open(ctx, create=True)
    with translated_errors(database.url):
        before = schema_state(database.engine)
        refuse_if_newer(before)
        if not before.pending:
            print(f"schema already at {before.head}; nothing to do")
            return
        run_upgrade(database.engine)
    print(f"upgraded schema from {before.current or 'empty'} to {before.head}")
