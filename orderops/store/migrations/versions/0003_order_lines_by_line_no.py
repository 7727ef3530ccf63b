"""order lines indexed by order and line number

The readers of an order's lines want them in line order (`process`, `track`,
`receive --update`); an index on order_id alone left SQLite sorting them in a
temporary B-tree, about a third of the time `process` spends reading them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_order_lines_order_id_line_no", "order_lines", ["order_id", "line_no"])
    op.drop_index("ix_order_lines_order_id", table_name="order_lines")


def downgrade() -> None:
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
    op.drop_index("ix_order_lines_order_id_line_no", table_name="order_lines")
