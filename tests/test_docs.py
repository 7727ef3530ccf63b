"""The README documents every command and every exit code."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from orderops.cli import app
from orderops.errors import (
    Conflict,
    DatabaseError,
    InvalidInput,
    NotFound,
    OrderOpsError,
    UsageProblem,
)

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _command_paths() -> list[str]:
    """Every command, `group sub` for the commands of a group (lazy groups too)."""
    import typer

    group = get_command(app)
    ctx = typer.Context(group)
    paths = []
    for name in group.list_commands(ctx):  # type: ignore[attr-defined]
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        if hasattr(command, "list_commands"):
            paths.extend(f"{name} {sub}" for sub in command.list_commands(ctx))
        else:
            paths.append(name)
    return paths


def test_every_command_is_in_the_readme_table() -> None:
    missing = [path for path in _command_paths() if f"`orderops {path}" not in README]
    assert missing == []


def test_every_exit_code_is_in_the_readme_table():
    import orderops.errors

    table = dict(re.findall(r"^\| (\d+) \| (.+) \|$", README, flags=re.MULTILINE))
    errors = [
        kind
        for kind in vars(orderops.errors).values()
        if isinstance(kind, type) and issubclass(kind, OrderOpsError)
    ]
    for error in (OrderOpsError, UsageProblem, NotFound, InvalidInput, Conflict, DatabaseError):
        assert error in errors
    assert {str(error.exit_code) for error in errors} | {"0"} == set(table)
    assert set(table) == {"0", "1", "2", "3", "4", "5", "6", "7", "8", "130"}


def test_the_readme_has_the_install_and_test_commands():
    assert "pip install . && .venv/bin/orderops receive examples/" in README
    assert "pip install '.[test]' && .venv/bin/python -m pytest" in README


def test_the_readme_gives_the_wal_limit_the_code_sets():
    # Found by its name wherever it lives in the package, so that moving it keeps the check.
    package = Path(__file__).resolve().parent.parent / "orderops"
    found = [
        int(match.group(1).replace("_", ""))
        for path in package.rglob("*.py")
        for match in re.finditer(r"^\w*CHECKPOINT_PAGES = ([\d_]+)$", path.read_text(), re.M)
    ]
    assert len(found) == 1, found
    assert f"the WAL grow to {found[0]:,} pages" in " ".join(README.split())
