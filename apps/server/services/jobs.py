"""Batch jobs: accept (idempotently), run chunk by chunk on a worker, stream the results.

The job row and its input chunks are committed before the task is sent, and beat's
sweeper re-sends jobs left `queued`, so an accepted job is never lost. A job that cannot
be enqueued because the broker is down is removed again and answered with 503: the client
retries (with the same Idempotency-Key) instead of waiting on a job nobody will run.
"""

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
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
from server.services import registry
from server.services.job_inputs import JobItem
from server.taskqueue.payloads import JobPayload, ScoredBatch
from server.taskqueue.publisher import publish

log = structlog.get_logger(__name__)

RESULT_COLUMNS = ("position", "id", "label", "confidence", "version")
FINISHED = (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)
Scorer = Callable[[int, str, list[str]], ScoredBatch]
"""(version, manifest sha256, texts) -> the worker's scored batch, labels chosen by the model."""


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


async def _enqueue(celery: Celery, job_id: uuid.UUID) -> None:
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
        await _enqueue(celery, job.id)
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


async def run_job(
    database: Database, settings: Settings, job_id: uuid.UUID, score: Scorer
) -> JobStatus:
    """Score every unscored chunk (worker side); resumes where a killed attempt stopped."""
    async with database.session() as session:
        job = await repo.get_job(session, job_id)
        if job is None or job.status in FINISHED:
            return job.status if job else JobStatus.failed
        job.attempts += 1
        if job.attempts > settings.jobs_max_attempts:
            job.status, job.finished_at = JobStatus.failed, utcnow()
            job.error = f"gave up after {job.attempts - 1} attempts that did not finish"
            await session.commit()
            return job.status
        if job.version is None:
            champion = await registry.served_versions(session, job.model_name)
            if "champion" not in champion:
                job.status, job.error = JobStatus.failed, "no model version is promoted"
                job.finished_at = utcnow()
                await session.commit()
                return job.status
            job.version = champion["champion"][0]
        job.status, job.started_at = JobStatus.running, job.started_at or utcnow()
        await session.commit()
        version, sha = job.version, (await _version_sha(session, job))
    for position in range(job.chunks):
        async with database.session() as session:
            status = await repo.job_status(session, job_id)
            if status is JobStatus.cancelled:
                return status
            chunk = await repo.load_chunk(session, job_id, position)
            if chunk.results is not None:
                continue  # scored by an earlier attempt
            batch = score(version, sha, chunk.texts)
            chunk.results = [
                {**item.model_dump(exclude={"oov_rate"}), "version": batch.version}
                for item in batch.items
            ]
            await repo.add_processed(session, job_id, len(batch.items))
            await session.commit()  # the chunk and the count together, or neither
    async with database.session() as session:
        job = await repo.load_job(session, job_id)
        if job.status is JobStatus.running:
            job.status, job.finished_at = JobStatus.succeeded, utcnow()
        await session.commit()
        return job.status


async def _version_sha(session: AsyncSession, job: BatchJob) -> str:
    model = await registry.require_model(session, job.model_name)
    assert job.version is not None  # noqa: S101 - pinned above
    return (await registry.require_version(session, model, job.version)).sha256


async def sweep_stuck_jobs(database: Database, celery: Celery, settings: Settings) -> int:
    """Send again every job still queued after `jobs_stuck_after_s`; returns how many."""
    cutoff = utcnow() - timedelta(seconds=settings.jobs_stuck_after_s)
    async with database.session() as session:
        stuck = await repo.list_stuck_jobs(session, cutoff)
        for job in stuck:
            job.enqueued_at = utcnow()
        ids = [job.id for job in stuck]
        # Commit before sending: a worker that picks a job up at once must not meet this
        # transaction still open (SQLite refuses a write on a snapshot older than a commit).
        await session.commit()
    for job_id in ids:
        await _enqueue(celery, job_id)
    return len(ids)
