"""`orderops --help` starts fast: it imports neither the store nor the command groups;
and the CLI imports the services, never the store or the formats behind them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path


def test_help_imports_no_store_and_no_command_group() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "orderops", "--help"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()}
    heavy = {"sqlalchemy", "sqlmodel", "alembic", "yaml", "orderops.cli.stock", "orderops.cli.db"}
    assert imported & heavy == set()


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):  # the imports inside functions (and TYPE_CHECKING) too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imports_point_one_way_from_the_cli_to_the_services() -> None:
    # cli -> services -> (domain, store, formats): the CLI never reaches past the services,
    # and nothing but the entry point (__main__) imports the CLI.
    package = Path(__file__).resolve().parent.parent / "orderops"
    wrong = []
    for path in sorted(package.rglob("*.py")):
        inside_cli = path.is_relative_to(package / "cli")
        for name in _imported_modules(path):
            if inside_cli and name.startswith(("orderops.store", "orderops.formats")):
                wrong.append(f"{path.relative_to(package)} imports {name}")
            if not inside_cli and path.name != "__main__.py" and name.startswith("orderops.cli"):
                wrong.append(f"{path.relative_to(package)} imports {name}")
    assert wrong == []
