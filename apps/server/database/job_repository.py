"""Queries of batch jobs and their chunks. No business rules here: those live in services.

`get_*` answers None for a missing row; `load_*` is for a row that must exist (the job a
worker is running, a chunk written with its job) and raises `NoResultFound` otherwise.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.job_models import BatchJob, BatchJobChunk, JobStatus


async def find_job_by_key(session: AsyncSession, owner: str, key: str) -> BatchJob | None:
    """The owner's job recorded under this Idempotency-Key, if any."""
    query = select(BatchJob).where(BatchJob.owner == owner, BatchJob.idempotency_key == key)
    return await session.scalar(query)


async def add_job(
    session: AsyncSession, job: BatchJob, chunks: Iterable[tuple[list[Any], list[str]]]
) -> None:
    """Add a new job and its input chunks, (item ids, texts) in order, to the transaction."""
    session.add(job)
    await session.flush()  # the chunks need the job's id
    session.add_all(
        BatchJobChunk(job_id=job.id, position=position, item_ids=ids, texts=texts, results=None)
        for position, (ids, texts) in enumerate(chunks)
    )


async def delete_job(session: AsyncSession, job_id: uuid.UUID) -> None:
    """Remove a job; its chunks go with it (ON DELETE CASCADE)."""
    await session.execute(delete(BatchJob).where(BatchJob.id == job_id))


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> BatchJob | None:
    return await session.get(BatchJob, job_id)


async def load_job(session: AsyncSession, job_id: uuid.UUID) -> BatchJob:
    return await session.get_one(BatchJob, job_id)


async def job_status(session: AsyncSession, job_id: uuid.UUID) -> JobStatus | None:
    """The job's status as committed now, without loading the row."""
    return await session.scalar(select(BatchJob.status).where(BatchJob.id == job_id))


def _jobs_of(owner: str | None) -> Select[BatchJob]:
    query = select(BatchJob)
    return query if owner is None else query.where(BatchJob.owner == owner)


async def count_jobs(session: AsyncSession, owner: str | None) -> int:
    """How many jobs `owner` has (every job: `owner` None)."""
    query = _jobs_of(owner)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def list_jobs(
    session: AsyncSession, owner: str | None, *, limit: int, offset: int
) -> Sequence[BatchJob]:
    """One page of `owner`'s jobs (every job: `owner` None), newest first."""
    query = _jobs_of(owner).order_by(BatchJob.created_at.desc(), BatchJob.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def list_stuck_jobs(session: AsyncSession, enqueued_before: datetime) -> Sequence[BatchJob]:
    """Jobs still queued that were last sent before `enqueued_before`."""
    query = select(BatchJob).where(
        BatchJob.status == JobStatus.queued, BatchJob.enqueued_at < enqueued_before
    )
    return (await session.scalars(query)).all()


async def load_chunk(session: AsyncSession, job_id: uuid.UUID, position: int) -> BatchJobChunk:
    return await session.get_one(BatchJobChunk, (job_id, position))


async def add_processed(session: AsyncSession, job_id: uuid.UUID, count: int) -> None:
    """Count `count` more scored items, in the database (no lost update between attempts)."""
    await session.execute(
        update(BatchJob).where(BatchJob.id == job_id).values(processed=BatchJob.processed + count)
    )
