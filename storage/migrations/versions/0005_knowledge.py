"""knowledge: article scope, validity, authorship; update proposals

Revision ID: 0005_knowledge
Revises: 0004_triage
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.orm

revision: str = "0005_knowledge"
down_revision: str | Sequence[str] | None = "0004_triage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_ARTICLE_COLUMNS = [
    ("brand", lambda: sa.Column("brand", sa.String(length=200), nullable=True)),
    ("region", lambda: sa.Column("region", sa.String(length=50), nullable=True)),
    ("campaign", lambda: sa.Column("campaign", sa.String(length=200), nullable=True)),
    ("topic", lambda: sa.Column("topic", sa.String(length=200), nullable=True)),
    ("qa", lambda: sa.Column("qa", sa.JSON(), nullable=True)),
    ("variables", lambda: sa.Column("variables", sa.JSON(), nullable=True)),
    (
        "valid_from",
        lambda: sa.Column("valid_from", storage.orm.UTCDateTime(timezone=True), nullable=True),
    ),
    (
        "valid_until",
        lambda: sa.Column("valid_until", storage.orm.UTCDateTime(timezone=True), nullable=True),
    ),
    ("author", lambda: sa.Column("author", sa.String(length=200), nullable=True)),
    ("approver", lambda: sa.Column("approver", sa.String(length=200), nullable=True)),
    (
        "source",
        lambda: sa.Column("source", sa.String(length=20), server_default="config", nullable=False),
    ),
]


def upgrade() -> None:
    op.create_table(
        "knowledge_proposals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("draft_text", sa.Text(), nullable=False),
        sa.Column("sent_text", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "rejected",
                name="proposalstatus",
                native_enum=False,
                create_constraint=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("article_id", sa.String(length=200), nullable=True),
        sa.Column("article_version", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", storage.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("result_article_id", sa.String(length=200), nullable=True),
        sa.Column("result_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_knowledge_proposals_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_proposals")),
    )
    with op.batch_alter_table("knowledge_proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_knowledge_proposals_store_status",
            ["store_id", "status", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        for _name, column in _NEW_ARTICLE_COLUMNS:
            batch_op.add_column(column())
        batch_op.alter_column("store_id", existing_type=sa.String(length=200), nullable=True)
        batch_op.alter_column("language", existing_type=sa.String(length=10), nullable=True)
        batch_op.create_index("ix_knowledge_articles_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_articles_status")
        batch_op.alter_column("language", existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column("store_id", existing_type=sa.String(length=200), nullable=False)
        for name, _column in reversed(_NEW_ARTICLE_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("knowledge_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_proposals_store_status")
    op.drop_table("knowledge_proposals")
