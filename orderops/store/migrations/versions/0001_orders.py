"""orders, order lines, order events

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = (
    "received", "ready", "backordered", "on_hold", "picking",
    "picked", "packed", "shipped", "delivered", "cancelled",
)  # fmt: skip


def upgrade() -> None:
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_number", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("held_from", sa.String(16), nullable=True),
        sa.Column("hold_reason", sa.String(), nullable=False),
        sa.Column("hold_until", sa.DateTime(), nullable=True),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("ship_by", sa.Date(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("customer_name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("address1", sa.String(), nullable=False),
        sa.Column("address2", sa.String(), nullable=False),
        sa.Column("city", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("postal_code", sa.String(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("shipping_method", sa.String(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("currency_exponent", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("order_number"),
        sa.CheckConstraint(f"status IN ({statuses})", name="ck_orders_status"),
    )
    op.create_index("ix_orders_status_ship_by", "orders", ["status", "ship_by"])
    op.create_index("ix_orders_email", "orders", ["email"])

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=True),
        sa.CheckConstraint("qty >= 1", name="ck_order_lines_qty"),
        sa.CheckConstraint("unit_price_minor >= 0", name="ck_order_lines_price"),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
    op.create_index("ix_order_lines_sku", "order_lines", ["sku"])

    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
    )
    op.create_index("ix_order_events_order_id", "order_events", ["order_id", "id"])


def downgrade() -> None:
    op.drop_table("order_events")
    op.drop_table("order_lines")
    op.drop_table("orders")
