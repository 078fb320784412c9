"""The reply assistant: stored drafts with their tool trace and feedback.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reply_drafts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "completed",
                "failed",
                name="draft_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("pii_values", JSON_DOCUMENT, nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("cited_articles", JSON_DOCUMENT, nullable=False),
        sa.Column("confidence_note", sa.Text(), nullable=True),
        sa.Column("prompt_version", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Double(), nullable=False),
        sa.Column("steps", JSON_DOCUMENT, nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("feedback_verdict", sa.String(length=16), nullable=True),
        sa.Column("feedback_reply", sa.Text(), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_drafts")),
    )
    op.create_index("ix_reply_drafts_owner_created", "reply_drafts", ["owner", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_reply_drafts_owner_created", table_name="reply_drafts")
    op.drop_table("reply_drafts")
