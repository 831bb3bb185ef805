"""triage: per-store intent examples

Revision ID: 0004_triage
Revises: 0003_channels
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0004_triage"
down_revision: str | Sequence[str] | None = "0003_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intent_examples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("imported_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intent_examples")),
    )
    with op.batch_alter_table("intent_examples", schema=None) as batch_op:
        batch_op.create_index("ix_intent_examples_store", ["store_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intent_examples", schema=None) as batch_op:
        batch_op.drop_index("ix_intent_examples_store")
    op.drop_table("intent_examples")
