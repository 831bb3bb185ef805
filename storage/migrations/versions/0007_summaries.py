"""summaries: the latest conversation summary for the thread header and handovers

Revision ID: 0007_summaries
Revises: 0006_telegram
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0007_summaries"
down_revision: str | Sequence[str] | None = "0006_telegram"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("summary_messages", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("summarized_at", storage.orm.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("summarized_at")
        batch_op.drop_column("summary_messages")
        batch_op.drop_column("summary")
