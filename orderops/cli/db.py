"""`orderops db`: where the database is, its schema version, upgrading it."""

from __future__ import annotations

import typer

from orderops.cli.options import JsonOption
from orderops.cli.output import print_json, say
from orderops.cli.state import state

app = typer.Typer(help="The database: status and upgrade.", no_args_is_help=True)


@app.command()
def status(
    ctx: typer.Context,
    json_out: JsonOption = False,
) -> None:
    """Show which database is used and whether its schema is current."""
    from orderops.services.database import database_status

    current = database_status(state(ctx).db)
    if json_out:
        print_json(current.as_json())
    else:
        say(f"database: {current.url} ({current.engine})")
        say(f"schema:   {current.revision or 'empty'} (this orderops: {current.head})")
        if current.newer_than_code:
            say("state:    newer than this orderops; upgrade orderops")
        elif current.pending:
            pending = ", ".join(current.pending)
            say(f"state:    {len(current.pending)} migration(s) pending: {pending}")
        else:
            say("state:    up to date")
    current.refuse_if_newer()


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Bring the schema up to date (orderops also does this by itself on first use)."""
    from orderops.services.database import upgrade_database

    app_state = state(ctx)
    result = upgrade_database(app_state.db)
    if result.upgraded:
        app_state.record()
        say(f"upgraded schema from {result.before or 'empty'} to {result.head}")
    else:
        say(f"schema already at {result.head}; nothing to do")
