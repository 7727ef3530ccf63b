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


def _commands() -> list[str]:
    group = get_command(app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names.extend(f"{name} {sub}" for sub in subcommands)
        else:
            names.append(name)
    return names


def test_every_command_is_in_the_readme():
    missing = [name for name in _commands() if f"orderops {name}" not in README]
    assert missing == []


def test_every_exit_code_is_in_the_readme_table():
    table = dict(re.findall(r"^\| (\d) \| (.+) \|$", README, flags=re.MULTILINE))
    for error in (OrderOpsError, UsageProblem, NotFound, InvalidInput, Conflict, DatabaseError):
        assert str(error.exit_code) in table, error
    assert set(table) == {"0", "1", "2", "3", "4", "5", "6"}


def test_the_readme_has_the_install_and_test_commands():
    assert "pip install . && .venv/bin/orderops receive examples/" in README
    assert "pip install '.[test]' && .venv/bin/python -m pytest" in README
