"""digest subscriptions and runs

Revision ID: 0007_digests
Revises: 0006_telegram
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0007_digests"
down_revision: str | Sequence[str] | None = "0006_telegram"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("store_ids", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("cadence", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
    )
    op.create_table(
        "digest_runs",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("subscription_id", sa.String(length=200), nullable=False),
        sa.Column("period_label", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("store_ids", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", storage.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.orm.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_digest_runs")),
    )


def downgrade() -> None:
    op.drop_table("digest_runs")
    op.drop_table("digest_subscriptions")
