"""wecom: app group chats made per store, one-use codes that update button cards

Revision ID: 0009_wecom
Revises: 0009_lark
Create Date: 2026-11-23 17:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0009_wecom"
down_revision: str | Sequence[str] | None = "0009_lark"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wecom_chats",
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_wecom_chats")),
    )
    op.create_table(
        "wecom_card_codes",
        sa.Column("task_id", sa.String(length=128), nullable=False),
        sa.Column("response_code", sa.String(length=255), nullable=True),
        sa.Column("updated_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_wecom_card_codes")),
    )


def downgrade() -> None:
    op.drop_table("wecom_card_codes")
    op.drop_table("wecom_chats")
