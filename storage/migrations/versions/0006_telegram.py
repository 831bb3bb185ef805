"""telegram: forum topics per store, blocked customer chats, parts of split replies

Revision ID: 0006_telegram
Revises: 0005_knowledge
Create Date: 2026-11-23 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0006_telegram"
down_revision: str | Sequence[str] | None = "0005_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_topics",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "store_id", name=op.f("pk_telegram_topics")),
    )
    op.create_table(
        "telegram_blocked_chats",
        sa.Column("channel_account_id", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("blocked_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "channel_account_id", "chat_id", name=op.f("pk_telegram_blocked_chats")
        ),
    )
    op.create_table(
        "telegram_sent_parts",
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", "part", name=op.f("pk_telegram_sent_parts")),
    )


def downgrade() -> None:
    op.drop_table("telegram_sent_parts")
    op.drop_table("telegram_blocked_chats")
    op.drop_table("telegram_topics")
