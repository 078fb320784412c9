"""Batch jobs: the job row and its input/output chunks.

Inputs are stored in chunks written with the job in one transaction, so an accepted job
has everything it needs before any task exists. A worker scores a chunk and commits its
results in one statement; a job resumed after a crash skips scored chunks, so every item
is scored once.

A running job carries a lease (`lease_owner` until `lease_expires_at`) that its runner
renews as it works; a job whose lease ran out lost its worker and is taken back by the
sweeper (see services/job_runner.py).
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, utcnow
from server.database.types import JSONDocument


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class BatchJob(Base):
    __tablename__ = "batch_jobs"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key"),
        Index("ix_batch_jobs_status_enqueued", "status", "enqueued_at"),
        Index("ix_batch_jobs_owner_created", "owner", "created_at"),
        Index("ix_batch_jobs_status_lease", "status", "lease_expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(String(100))
    status: Mapped[JobStatus] = mapped_column(
        Enum(
            JobStatus,
            name="job_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
        ),
        default=JobStatus.queued,
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int | None] = mapped_column(doc="Pinned when the job starts.")
    total: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    chunks: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(
        String(32), doc="Token of the run holding the job; None when nobody runs it."
    )
    lease_task_id: Mapped[str | None] = mapped_column(
        String(64), doc="The task (delivery) of that run: its redelivery may take over at once."
    )
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        doc="When the lease runs out unless its holder renews it."
    )


class BatchJobChunk(Base):
    __tablename__ = "batch_job_chunks"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("batch_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    item_ids: Mapped[list[Any]] = mapped_column(JSONDocument)
    texts: Mapped[list[str]] = mapped_column(JSONDocument)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
