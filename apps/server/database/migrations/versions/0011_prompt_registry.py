"""The prompt registry: prompt versions, their aliases, the audit log of alias moves and
the canary split of the reply assistant.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 11:30:00.000000+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("spec", _json(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("eval_report", _json(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_versions")),
        sa.UniqueConstraint("digest", name=op.f("uq_prompt_versions_digest")),
        sa.UniqueConstraint("version", name=op.f("uq_prompt_versions_version")),
    )
    op.create_table(
        "prompt_aliases",
        sa.Column("alias", sa.String(length=50), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_prompt_aliases_version_id_prompt_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_prompt_aliases")),
    )
    op.create_table(
        "prompt_alias_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=50), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "set",
                "rollback",
                name="prompt_alias_action",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_alias_events")),
    )
    op.create_index(
        "ix_prompt_alias_events_alias_created", "prompt_alias_events", ["alias", "created_at"]
    )
    op.create_table(
        "prompt_traffic",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("challenger_weight", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_prompt_traffic_single_row")),
        sa.CheckConstraint(
            "challenger_weight BETWEEN 0 AND 100",
            name=op.f("ck_prompt_traffic_challenger_weight_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_traffic")),
    )


def downgrade() -> None:
    op.drop_table("prompt_traffic")
    op.drop_index("ix_prompt_alias_events_alias_created", table_name="prompt_alias_events")
    op.drop_table("prompt_alias_events")
    op.drop_table("prompt_aliases")
    op.drop_table("prompt_versions")
