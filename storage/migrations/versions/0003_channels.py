"""customer channels and back office: WhatsApp service windows, Shopify orders, email threads

Revision ID: 0003_channels
Revises: 0002
Create Date: 2026-11-23 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0003_channels"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_windows",
        sa.Column("channel_account_id", sa.String(length=200), nullable=False),
        sa.Column("wa_id", sa.String(length=64), nullable=False),
        sa.Column("last_inbound_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_account_id", "wa_id", name=op.f("pk_whatsapp_windows")),
    )
    op.create_table(
        "shop_orders",
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "order_id", name=op.f("pk_shop_orders")),
    )
    with op.batch_alter_table("shop_orders", schema=None) as batch_op:
        batch_op.create_index("ix_shop_orders_name", ["store_id", "name"], unique=False)
        batch_op.create_index("ix_shop_orders_email", ["store_id", "email"], unique=False)
    op.create_table(
        "email_messages",
        sa.Column("channel_account_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_account_id", "message_id", name=op.f("pk_email_messages")),
    )


def downgrade() -> None:
    op.drop_table("email_messages")
    with op.batch_alter_table("shop_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_orders_email")
        batch_op.drop_index("ix_shop_orders_name")
    op.drop_table("shop_orders")
    op.drop_table("whatsapp_windows")
