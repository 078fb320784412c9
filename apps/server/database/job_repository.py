"""Queries of batch jobs and their chunks. No business rules here: those live in services.

`get_*` answers None for a missing row; `load_*` is for a row that must exist (the job a
worker is running, a chunk written with its job) and raises `NoResultFound` otherwise.

The lease statements are conditional UPDATEs that say whether they changed the row, so two
runners of one job (or a runner and the sweeper) settle who wins in the database itself.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, delete, func, literal, or_, select, update
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.base import UTCDateTime
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


def _changed(result: Result[Any]) -> bool:
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _lease_lapsed(now: datetime) -> ColumnElement[bool]:
    return or_(BatchJob.lease_owner.is_(None), BatchJob.lease_expires_at < now)


async def take_lease(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    owner: str,
    task_id: str | None,
    now: datetime,
    until: datetime,
) -> bool:
    """Make `owner` the runner of a queued or running job and count the attempt, if nobody
    holds its lease, it lapsed, or it is held for the same task `task_id` (a redelivery of
    the message whose process died). False: someone else runs it, or it is finished."""
    free = _lease_lapsed(now)
    if task_id is not None:
        free = or_(free, BatchJob.lease_task_id == task_id)
    result = await session.execute(
        update(BatchJob)
        .where(
            BatchJob.id == job_id,
            BatchJob.status.in_((JobStatus.queued, JobStatus.running)),
            free,
        )
        .values(
            status=JobStatus.running,
            lease_owner=owner,
            lease_task_id=task_id,
            lease_expires_at=until,
            attempts=BatchJob.attempts + 1,
            started_at=func.coalesce(BatchJob.started_at, literal(now, UTCDateTime())),
        )
    )
    return _changed(result)


def _held_by(job_id: uuid.UUID, owner: str) -> tuple[ColumnElement[bool], ...]:
    """The job is running under `owner`'s lease."""
    return (
        BatchJob.id == job_id,
        BatchJob.lease_owner == owner,
        BatchJob.status == JobStatus.running,
    )


async def renew_lease(
    session: AsyncSession, job_id: uuid.UUID, owner: str, until: datetime, *, processed: int = 0
) -> bool:
    """Extend `owner`'s lease of a running job to `until`, counting `processed` more items
    (in the database: no lost update). False: the lease is lost or the job was stopped."""
    result = await session.execute(
        update(BatchJob)
        .where(*_held_by(job_id, owner))
        .values(lease_expires_at=until, processed=BatchJob.processed + processed)
    )
    return _changed(result)


async def store_results(
    session: AsyncSession, job_id: uuid.UUID, position: int, results: list[dict[str, Any]]
) -> bool:
    """Write a chunk's results unless it has some already (False: another run scored it)."""
    result = await session.execute(
        update(BatchJobChunk)
        .where(
            BatchJobChunk.job_id == job_id,
            BatchJobChunk.position == position,
            # Unscored: JSON null (how the JSON type writes Python's None) or SQL NULL.
            or_(BatchJobChunk.results.is_(None), BatchJobChunk.results == JSON.NULL),
        )
        .values(results=results)
    )
    return _changed(result)


async def end_lease(
    session: AsyncSession,
    job_id: uuid.UUID,
    owner: str,
    *,
    status: JobStatus,
    now: datetime,
    error: str | None = None,
) -> bool:
    """Finish a job `owner` runs with `status` (and `error`), releasing the lease."""
    result = await session.execute(
        update(BatchJob)
        .where(*_held_by(job_id, owner))
        .values(
            status=status,
            error=error,
            finished_at=now,
            lease_owner=None,
            lease_task_id=None,
            lease_expires_at=None,
        )
    )
    return _changed(result)


async def list_lapsed_jobs(session: AsyncSession, now: datetime) -> Sequence[uuid.UUID]:
    """Running jobs whose lease ran out by `now`: their runner is gone."""
    query = select(BatchJob.id).where(
        BatchJob.status == JobStatus.running, BatchJob.lease_expires_at < now
    )
    return (await session.scalars(query)).all()


async def requeue_lapsed(session: AsyncSession, job_id: uuid.UUID, now: datetime) -> bool:
    """Put a running job whose lease ran out back in the queue (False: it was renewed or
    finished meanwhile)."""
    result = await session.execute(
        update(BatchJob)
        .where(
            BatchJob.id == job_id,
            BatchJob.status == JobStatus.running,
            BatchJob.lease_expires_at < now,
        )
        .values(
            status=JobStatus.queued,
            enqueued_at=now,
            lease_owner=None,
            lease_task_id=None,
            lease_expires_at=None,
        )
    )
    return _changed(result)


async def load_chunk(session: AsyncSession, job_id: uuid.UUID, position: int) -> BatchJobChunk:
    return await session.get_one(BatchJobChunk, (job_id, position))
