"""summaries: the latest conversation summary for the thread header and handovers

Revision ID: 0008_summaries
Revises: 0007_digests
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0008_summaries"
down_revision: str | Sequence[str] | None = "0007_digests"
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
