"""Alembic environment: runs on the connection orderops hands it."""

from alembic import context
from sqlmodel import SQLModel

import orderops.store.tables  # noqa: F401  (registers the tables on the metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("orderops runs its migrations itself: use `orderops db upgrade`")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
