"""The README documents every command the CLI has."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from orderops.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _command_paths() -> list[str]:
    group = get_command(app)
    paths = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths.extend(f"{name} {sub}" for sub in subcommands)
        else:
            paths.append(name)
    return paths


def test_every_command_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [path for path in _command_paths() if f"`orderops {path}" not in text]
    assert missing == []
