"""The README documents every command the CLI has."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from orderops.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _command_paths() -> list[str]:
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
    text = README.read_text(encoding="utf-8")
    missing = [path for path in _command_paths() if f"`orderops {path}" not in text]
    assert missing == []
