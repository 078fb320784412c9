"""Prompt evaluation runs: each evaluation of a prompt version (or of the builtin prompt)
as a queued job with its status, the evaluation set it used and the report it scored.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:10:00.000000+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "prompt_eval_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("prompt_version", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="prompt_eval_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("eval_set_digest", sa.String(length=64), nullable=False),
        sa.Column("report", _json(), nullable=True),
        sa.Column("error", _json(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["prompt_version"],
            ["prompt_versions.version"],
            name=op.f("fk_prompt_eval_runs_prompt_version_prompt_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_eval_runs")),
    )
    op.create_index(
        "ix_prompt_eval_runs_version_set",
        "prompt_eval_runs",
        ["prompt_version", "eval_set_digest", "status"],
    )
    op.create_index("ix_prompt_eval_runs_created", "prompt_eval_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_prompt_eval_runs_created", table_name="prompt_eval_runs")
    op.drop_index("ix_prompt_eval_runs_version_set", table_name="prompt_eval_runs")
    op.drop_table("prompt_eval_runs")
