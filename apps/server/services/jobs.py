"""Batch jobs: accept (idempotently), run chunk by chunk on a worker, stream the results.

The job row and its input chunks are committed before the task is sent, and beat's
sweeper re-sends jobs left `queued` (and takes back running jobs whose worker died, see
job_runner.py), so an accepted job is never lost. A job that cannot
be enqueued because the broker is down is removed again and answered with 503: the client
retries (with the same Idempotency-Key) instead of waiting on a job nobody will run.
"""

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import structlog
from celery import Celery
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.core.csv_cells import csv_line
from server.core.errors import ConflictError, NotFoundError, ServiceUnavailableError
from server.database import job_repository as repo
from server.database.base import utcnow
from server.database.job_models import BatchJob, JobStatus
from server.database.session import Database
from server.services.job_inputs import JobItem
from server.taskqueue.payloads import JobPayload
from server.taskqueue.publisher import publish

log = structlog.get_logger(__name__)

RESULT_COLUMNS = ("position", "id", "label", "confidence", "version")
FINISHED = (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


def request_digest(items: Sequence[JobItem]) -> str:
    """What the Idempotency-Key is bound to: the items, in order."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps([item.id, item.text]).encode())
    return digest.hexdigest()


async def _existing_for_key(
    session: AsyncSession, owner: str, key: str | None, digest: str
) -> BatchJob:
    existing = await repo.find_job_by_key(session, owner, key) if key is not None else None
    if existing is None:
        raise ConflictError("The job could not be recorded; retry the request.")
    if existing.request_sha256 != digest:
        raise ConflictError("This Idempotency-Key was used for a different request body.")
    return existing


RECORD_ATTEMPTS = 5
RECORD_RETRY_S = 0.02
"""Pause before the next attempt to record a job, times the attempts so far."""


async def enqueue_job(celery: Celery, job_id: uuid.UUID) -> None:
    """Send the task that runs the job (503 when the broker is unreachable)."""
    await publish(celery, JobPayload(job_id=job_id))


async def _record_job(
    database: Database,
    settings: Settings,
    items: Sequence[JobItem],
    *,
    owner: str,
    idempotency_key: str | None,
    digest: str,
) -> tuple[BatchJob, bool]:
    async with database.session() as session:
        key = idempotency_key
        if key is not None and await repo.find_job_by_key(session, owner, key):
            return await _existing_for_key(session, owner, idempotency_key, digest), False
        size = settings.jobs_chunk_size
        job = BatchJob(
            owner=owner,
            status=JobStatus.queued,
            idempotency_key=idempotency_key,
            request_sha256=digest,
            model_name=settings.model_name,
            total=len(items),
            processed=0,
            chunks=(len(items) + size - 1) // size,
            attempts=0,
        )
        chunks = (items[start : start + size] for start in range(0, len(items), size))
        await repo.add_job(
            session, job, (([item.id for item in c], [item.text for item in c]) for c in chunks)
        )
        await session.commit()
        return job, True


async def submit_job(
    database: Database,
    celery: Celery,
    settings: Settings,
    items: Sequence[JobItem],
    *,
    owner: str,
    idempotency_key: str | None,
) -> tuple[BatchJob, bool]:
    """The job for these items and whether it is new (False: an idempotent repeat)."""
    digest = request_digest(items)

    async def record() -> tuple[BatchJob, bool]:
        return await _record_job(
            database, settings, items, owner=owner, idempotency_key=idempotency_key, digest=digest
        )

    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            job, created = await record()
            break
        except (IntegrityError, OperationalError) as exc:
            # A concurrent request with the same key committed first (PostgreSQL: unique
            # key; SQLite: a write on a stale snapshot, which a burst of several can hit
            # more than once). In a fresh transaction the winner's job is seen.
            if attempt == RECORD_ATTEMPTS:
                log.warning("job.record_failed", error=type(exc).__name__, attempts=attempt)
                raise ServiceUnavailableError("The job could not be recorded now; retry.") from exc
            await asyncio.sleep(RECORD_RETRY_S * attempt)
    if not created:
        return job, False
    try:
        await enqueue_job(celery, job.id)
    except ServiceUnavailableError:
        async with database.session() as session:
            await repo.delete_job(session, job.id)
            await session.commit()
        raise
    return job, True


async def get_job(session: AsyncSession, job_id: uuid.UUID, owner: str | None) -> BatchJob:
    """The job, if `owner` may see it (None: an administrator sees all); else 404."""
    job = await repo.get_job(session, job_id)
    if job is None or (owner is not None and job.owner != owner):
        raise NotFoundError(f"There is no job {job_id}.")
    return job


async def list_jobs(
    session: AsyncSession, owner: str | None, *, limit: int, offset: int
) -> tuple[list[BatchJob], int]:
    """The caller's jobs, newest first (every job for an administrator: `owner` None)."""
    total = await repo.count_jobs(session, owner)
    rows = await repo.list_jobs(session, owner, limit=limit, offset=offset)
    return list(rows), total


async def cancel_job(session: AsyncSession, job_id: uuid.UUID, owner: str | None) -> BatchJob:
    job = await get_job(session, job_id, owner)
    if job.status in FINISHED:
        raise ConflictError(f"Job {job_id} is already {job.status.value}.")
    job.status, job.finished_at = JobStatus.cancelled, utcnow()
    await session.commit()
    return job


async def stream_results(
    database: Database, job_id: uuid.UUID, owner: str | None, fmt: str
) -> AsyncIterator[str]:
    """The results as JSONL or CSV, one chunk in memory at a time."""
    async with database.session() as session:
        job = await get_job(session, job_id, owner)
        if job.status is not JobStatus.succeeded:
            raise ConflictError(
                f"Job {job_id} is {job.status.value}; results come when it succeeds."
            )
        chunks = job.chunks

    async def lines() -> AsyncIterator[str]:
        if fmt == "csv":
            yield csv_line(RESULT_COLUMNS)
        index = 0
        for position in range(chunks):
            async with database.session() as session:
                chunk = await repo.load_chunk(session, job_id, position)
            for item_id, result in zip(chunk.item_ids, chunk.results or [], strict=True):
                yield _line(fmt, index, item_id, result)
                index += 1

    return lines()


def _line(fmt: str, index: int, item_id: Any, result: dict[str, Any]) -> str:
    if fmt == "csv":
        identifier = None if item_id is None else str(item_id)
        return csv_line(
            (index, identifier, result["label"], result["confidence"], result["version"])
        )
    return json.dumps({"position": index, "id": item_id, **result}) + "\n"
