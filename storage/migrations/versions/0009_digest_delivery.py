"""digest delivery progress per part, and the charts of console digests

Revision ID: 0009_digest_delivery
Revises: 0009_sales
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0009_digest_delivery"
down_revision: str | Sequence[str] | None = "0009_sales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_parts",
        sa.Column("run_key", sa.String(length=255), nullable=False),
        sa.Column("part", sa.String(length=100), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column("delivered_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_key", "part", name=op.f("pk_digest_parts")),
    )
    op.create_table(
        "digest_charts",
        sa.Column("run_key", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("run_key", "position", name=op.f("pk_digest_charts")),
    )


def downgrade() -> None:
    op.drop_table("digest_charts")
    op.drop_table("digest_parts")
