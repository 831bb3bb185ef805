"""sales: product catalogues, recommendations made in drafts, and orders attributed to them

Revision ID: 0009_sales
Revises: 0009_wecom
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0009_sales"
down_revision: str | Sequence[str] | None = "0009_wecom"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_products",
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_catalog_products_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("store_id", "product_id", name=op.f("pk_catalog_products")),
    )
    op.create_table(
        "sales_recommendations",
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("need", sa.String(length=20), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sales_recommendations_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_sales_recommendations_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_sales_recommendations")),
    )
    op.create_index(
        "ix_sales_recommendations_store_created",
        "sales_recommendations",
        ["store_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "sales_orders",
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_store_id", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=True),
        sa.Column("tag", sa.String(length=32), nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("ordered_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sales_orders_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("store_id", "order_id", name=op.f("pk_sales_orders")),
    )
    op.create_index(
        "ix_sales_orders_conversation_store",
        "sales_orders",
        ["conversation_store_id", "ordered_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sales_orders_conversation_store", table_name="sales_orders")
    op.drop_table("sales_orders")
    op.drop_index("ix_sales_recommendations_store_created", table_name="sales_recommendations")
    op.drop_table("sales_recommendations")
    op.drop_table("catalog_products")
