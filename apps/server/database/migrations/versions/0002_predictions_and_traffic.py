"""Prediction log (with feedback) and per-model traffic policies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:01:18.703247+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column(
            "probabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("latency_ms", sa.Double(), nullable=False),
        sa.Column("input_length", sa.Integer(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("input_text", sa.Text(), nullable=True),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("feedback_label", sa.String(length=100), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
    )
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.create_index("ix_predictions_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_predictions_model_version_created",
            ["model_name", "version", "created_at"],
            unique=False,
        )

    op.create_table(
        "traffic_policies",
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("challenger_weight", sa.Integer(), nullable=False),
        sa.Column("shadow_sample", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "challenger_weight BETWEEN 0 AND 100",
            name=op.f("ck_traffic_policies_challenger_weight_range"),
        ),
        sa.CheckConstraint(
            "shadow_sample BETWEEN 0 AND 1", name=op.f("ck_traffic_policies_shadow_sample_range")
        ),
        sa.PrimaryKeyConstraint("model_name", name=op.f("pk_traffic_policies")),
    )


def downgrade() -> None:
    op.drop_table("traffic_policies")
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_predictions_model_version_created")
        batch_op.drop_index("ix_predictions_created_at")

    op.drop_table("predictions")
