"""Leases on running batch jobs: who runs a job and until when, so that beat's sweeper can
take back a job whose worker vanished (SIGKILL, OOM kill, node loss).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("batch_jobs") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("lease_task_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_batch_jobs_status_lease", ["status", "lease_expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs") as batch:
        batch.drop_index("ix_batch_jobs_status_lease")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_task_id")
        batch.drop_column("lease_owner")
