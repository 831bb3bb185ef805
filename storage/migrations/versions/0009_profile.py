"""profile: customer keys and link proposals, erasure marks, field-digest audit hashes

Revision ID: 0009_profile
Revises: 0009_digest_delivery
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0009_profile"
down_revision: str | Sequence[str] | None = "0009_digest_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hash_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("field_digests", sa.JSON(), nullable=True))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("erased_at", storage.orm.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", storage.orm.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "customer_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("identity_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_keys_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["customer_identities.id"],
            name=op.f("fk_customer_keys_identity_id_customer_identities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_keys")),
        sa.UniqueConstraint(
            "customer_id", "kind", "value", "verified", name=op.f("uq_customer_keys_customer_id")
        ),
    )
    op.create_index("ix_customer_keys_lookup", "customer_keys", ["scope", "kind", "value"])
    op.create_table(
        "customer_link_proposals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("other_customer_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", storage.orm.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_link_proposals_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["other_customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_link_proposals_other_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_link_proposals")),
        sa.UniqueConstraint(
            "customer_id",
            "other_customer_id",
            name=op.f("uq_customer_link_proposals_customer_id"),
        ),
    )
    op.create_index(
        "ix_customer_link_proposals_status",
        "customer_link_proposals",
        ["status", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_link_proposals_status", table_name="customer_link_proposals")
    op.drop_table("customer_link_proposals")
    op.drop_index("ix_customer_keys_lookup", table_name="customer_keys")
    op.drop_table("customer_keys")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("merged_into")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("field_digests")
        batch_op.drop_column("hash_version")
