"""The migrations shipped in the package build exactly the tables the code describes."""

from __future__ import annotations

import re
from pathlib import Path

from orderops.store import schema

VERSIONS = Path(schema.__file__).resolve().parent / "migrations" / "versions"


def test_the_known_revisions_are_the_migration_scripts_in_order() -> None:
    found = {}
    for script in VERSIONS.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision = re.search(r'^revision = "(\w+)"', text, re.M)
        if revision:
            down = re.search(r"^down_revision = (?:\"(\w+)\"|None)", text, re.M)
            assert down is not None
            found[revision.group(1)] = down.group(1)
    chain, previous = [], None
    while len(chain) < len(found):
        chain.append(next(rev for rev, down in found.items() if down == previous))
        previous = chain[-1]
    assert tuple(chain) == schema.REVISIONS


def test_a_migrated_database_matches_the_tables(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import orderops.store.tables  # noqa: F401
    from orderops.store.database import Database

    database = Database(db_url)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    database.close()
    assert differences == []
