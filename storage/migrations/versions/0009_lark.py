"""lark: groups created per store; message ids of up to 64 characters in workspace threads

Revision ID: 0009_lark
Revises: 0009_governance
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0009_lark"
down_revision: str | Sequence[str] | None = "0009_governance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lark_chats",
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_lark_chats")),
    )
    with op.batch_alter_table("workspace_threads", schema=None) as batch_op:
        batch_op.alter_column(
            "parent_ts", existing_type=sa.String(length=32), type_=sa.String(length=64)
        )
    with op.batch_alter_table("workspace_posts", schema=None) as batch_op:
        batch_op.alter_column("ts", existing_type=sa.String(length=32), type_=sa.String(length=64))


def downgrade() -> None:
    with op.batch_alter_table("workspace_posts", schema=None) as batch_op:
        batch_op.alter_column("ts", existing_type=sa.String(length=64), type_=sa.String(length=32))
    with op.batch_alter_table("workspace_threads", schema=None) as batch_op:
        batch_op.alter_column(
            "parent_ts", existing_type=sa.String(length=64), type_=sa.String(length=32)
        )
    op.drop_table("lark_chats")
