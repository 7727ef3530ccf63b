"""The `orderops` command line: global options, the command families, one error handler.

Only typer is imported at the top: the store (SQLModel, SQLAlchemy, Alembic),
YAML and Rich tables are imported inside the commands that use them, so that
`orderops --help` starts fast.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from orderops import __version__
from orderops.cli.interrupts import interrupts_delivered
from orderops.cli.output import guarded_stdout, say
from orderops.cli.state import AppState
from orderops.errors import Interrupted, InvalidInput, OrderOpsError, OutputLost

_debug = False


# Command groups built only when used: `orderops --help` lists them from this
# table instead of importing their modules and building every subcommand, so
# start-up stays flat as command families are added.
LAZY_GROUPS = {
    "stock": ("orderops.cli.stock", "Products, bins and stock levels."),
    "export": ("orderops.cli.export", "Export data as CSV or YAML."),
    "db": ("orderops.cli.db", "The database: status and upgrade."),
}


class LazyGroup(TyperGroup):
    """A command group whose Typer app is imported and built on first use."""

    def __init__(self, name: str, module: str, help: str) -> None:
        super().__init__(name=name, help=help, no_args_is_help=True)
        self.module = module
        self._group: Any = None

    def _built(self) -> Any:
        if self._group is None:
            import importlib

            from typer.main import get_group

            self._group = get_group(importlib.import_module(self.module).app)
        return self._group

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self._built().list_commands(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self._built().get_command(ctx, cmd_name)


class OrderOpsGroup(TyperGroup):
    """Runs a command and turns every failure into `error: ...` and its exit code."""

    _lazy: dict[str, LazyGroup] | None = None

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *LAZY_GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in LAZY_GROUPS:
            return super().get_command(ctx, cmd_name)
        if self._lazy is None:
            self._lazy = {}
        if cmd_name not in self._lazy:
            self._lazy[cmd_name] = LazyGroup(cmd_name, *LAZY_GROUPS[cmd_name])
        return self._lazy[cmd_name]

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Typer would end with 130 and no word; the one handler says what happened.
            raise Interrupted() from None

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        global _debug
        _debug = os.environ.get("ORDEROPS_DEBUG", "") not in ("", "0")
        _replace_what_cannot_be_encoded()
        app_state = AppState()
        with guarded_stdout() as stdout:
            try:
                with interrupts_delivered():
                    result = super().main(
                        args=args,
                        prog_name=prog_name,
                        complete_var=complete_var,
                        standalone_mode=False,
                        obj=app_state,
                        **extra,
                    )
                code = result if isinstance(result, int) else 0
                stdout.flush()  # a full disk shows here, not at exit
            except Exception as exc:  # noqa: BLE001 - this is the one place errors end
                code = _report(exc, app_state)
        if standalone_mode:
            sys.exit(code)
        return code


def _replace_what_cannot_be_encoded() -> None:
    """A name that the terminal's encoding cannot write (a Cyrillic name with
    PYTHONIOENCODING=ascii or latin-1) is written as a backslash escape (\\u0410),
    not a failure of the whole command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            reconfigure(errors="backslashreplace")


def _report(exc: Exception, app_state: AppState) -> int:
    """Say what went wrong on stderr, as `error: ...`; the exit code to end with."""
    try:  # Typer 0.22+ vendors Click; older versions use the click package.
        from typer._click.exceptions import ClickException
    except ImportError:
        from click.exceptions import ClickException  # type: ignore[no-redef]

    if _debug and not isinstance(exc, ClickException):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, OutputLost):
        return _report_output_lost(exc, app_state)
    if isinstance(exc, InvalidInput):
        _report_invalid_input(exc)
        return exc.exit_code
    if isinstance(exc, OrderOpsError):
        _error(str(exc))
        return exc.exit_code
    if isinstance(exc, ClickException):
        _report_usage(exc)
        return exc.exit_code
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        _error("interrupted; nothing more was written")
        return 130
    if isinstance(exc, UnicodeEncodeError) and exc.reason == "surrogates not allowed":
        # Bytes that are not UTF-8 reach us only from the command line or the
        # environment (files are decoded strictly): they cannot be stored or shown.
        _error(f"{exc.object!r} given on the command line is not UTF-8 text; nothing was written")
        return 2
    _error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
    return 1


def _report_output_lost(exc: OutputLost, app_state: AppState) -> int:
    """Output that could not be written. After a commit that is a warning, not an
    error: the change stands, and a script must not do it again (exit 8)."""
    if app_state.recorded:
        say(
            f"warning: {app_state.command or 'the command'} was recorded, but its output "
            f"could not be written: {exc}",
            err=True,
        )
        return exc.exit_code
    if exc.broken_pipe:
        return 0  # the reader had what it wanted (`orderops list | head -1`)
    _error(f"the output could not be written: {exc}")
    return exc.exit_code


def _report_invalid_input(exc: InvalidInput) -> None:
    if len(exc.problems) == 1:
        _error(f"{exc.problems[0]}; nothing was written")
        return
    for line in exc.lines():
        _error(line)
    _error(f"{exc.summary}; nothing was written")


def _report_usage(exc: Any) -> None:
    """A Click usage error, on one line, with where to find the command's help."""
    # Click's own line breaks become spaces; what the user typed stays as typed (and
    # is escaped by _error), so a NEL or U+2028 in a value is shown, not turned into a blank.
    message = re.sub(r"[ \t\r\n]+", " ", exc.format_message()).strip()
    if not message:  # a group called without a command: its help is already shown
        return
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    _error(f"{message}{hint}")


def _error(message: str) -> None:
    """`error: ...` on stderr. Messages carry the user's data (file and column names,
    values), so they go through the one renderer like every other human output."""
    say(f"error: {message}", err=True)


app = typer.Typer(
    cls=OrderOpsGroup,
    name="orderops",
    help="Order operations for a small shop: receive, process, pick, pack, ship, track, report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"orderops {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file path or URL (sqlite:///..., postgresql+psycopg://...). "
            "Default: $ORDEROPS_DB, else a file in your data directory.",
            show_default=False,
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who is acting, for the events (default: your OS user)."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    global _debug
    _debug = _debug or debug
    app_state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    app_state.db, app_state.actor = db, actor
    ctx.obj = app_state
    ctx.call_on_close(app_state.close)


from orderops.cli import orders as _orders  # noqa: E402
from orderops.cli import process as _process  # noqa: E402

_orders.register(app)
app.command()(_process.process)
