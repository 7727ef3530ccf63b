"""stock movements carry a reference (a delivery note number), unique per bin

`stock add SKU QTY --ref NOTE` records the delivery note on its movement; the
same note for the same SKU and bin is recorded once, so the same delivery sent
twice (a retried cron job, two terminals at once) adds once. Movements without
a reference (allocations, counts, imports) keep '' and are not constrained.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "stock_movements",
        sa.Column("ref", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index(
        "uq_stock_movements_ref",
        "stock_movements",
        ["ref", "sku", "location"],
        unique=True,
        sqlite_where=sa.text("ref <> ''"),
        postgresql_where=sa.text("ref <> ''"),
    )


def downgrade() -> None:
    op.drop_index("uq_stock_movements_ref", table_name="stock_movements")
    with op.batch_alter_table("stock_movements") as batch:
        batch.drop_column("ref")
