"""Cold start: `orderops --help` against an empty Typer app with the same commands.

The baseline is the floor of our stack: a Typer app with the same command
names (and the same command groups with their subcommands: db, stock, export)
whose bodies do nothing. Both are run as fresh
processes, alternately, and the medians compared. Target: ratio <= 1.2.

    python bench/cold_start.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import typer

app = typer.Typer(name="orderops", no_args_is_help=True, add_completion=False)
{commands}
{groups}

if __name__ == "__main__":
    app()
"""


def command_names() -> tuple[list[str], dict[str, list[str]]]:
    """The top-level commands, and each command group with its subcommands."""
    import typer
    from typer.main import get_command

    from orderops.cli import app

    group = get_command(app)
    ctx = typer.Context(group)
    top, groups = [], {}
    for name in group.list_commands(ctx):  # type: ignore[attr-defined]
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        if hasattr(command, "list_commands"):
            groups[name] = list(command.list_commands(ctx))
        else:
            top.append(name)
    return top, groups


def baseline_source(top: list[str], groups: dict[str, list[str]]) -> str:
    counter = iter(range(1000))

    def body(target: str, names: list[str]) -> str:
        return "\n".join(
            f'@{target}.command("{name}")\ndef cmd_{next(counter)}() -> None:\n    """{name}."""\n'
            for name in names
        )

    group_source = "\n".join(
        f"{name}_group = typer.Typer()\n{body(f'{name}_group', names)}\n"
        f'app.add_typer({name}_group, name="{name}")\n'
        for name, names in groups.items()
    )
    return BASELINE.format(commands=body("app", top), groups=group_source)


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    top, groups = command_names()
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline_app.py"
        baseline.write_text(baseline_source(top, groups))
        ours_cmd = [sys.executable, "-m", "orderops", "--help"]
        base_cmd = [sys.executable, str(baseline), "--help"]
        time_once(ours_cmd), time_once(base_cmd)  # warm the file cache
        ours, base = [], []
        for _ in range(args.runs):
            ours.append(time_once(ours_cmd))
            base.append(time_once(base_cmd))
    ours_ms = statistics.median(ours) * 1000
    base_ms = statistics.median(base) * 1000
    listed = "; ".join(f"{name}: {', '.join(names)}" for name, names in groups.items())
    print(f"commands: {', '.join(top)}; {listed}")
    print(f"runs: {args.runs} each, alternating")
    print(f"orderops --help:      median {ours_ms:7.1f} ms")
    print(f"empty Typer baseline: median {base_ms:7.1f} ms")
    print(f"ratio: {ours_ms / base_ms:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
