"""`orderops --help` starts fast: it imports neither the store nor the command groups."""

from __future__ import annotations

import subprocess
import sys


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
