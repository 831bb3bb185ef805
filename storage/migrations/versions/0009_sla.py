"""sla: once-only marks for SLA reminders and breaches per waiting period

Revision ID: 0009_sla
Revises: 0009_profile
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0009_sla"
down_revision: str | Sequence[str] | None = "0009_profile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_marks",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sla_marks_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint(
            "conversation_id", "message_id", "stage", name=op.f("pk_sla_marks")
        ),
    )


def downgrade() -> None:
    op.drop_table("sla_marks")
