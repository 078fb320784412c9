"""Running a batch job on a worker under a lease, and taking back jobs whose worker vanished.

A run first takes the job's lease: a token of its own and an expiry, set by one conditional
UPDATE that succeeds only if nobody else holds a live lease. It renews the lease with every
chunk it commits and, while a chunk is being scored, every third of `jobs_lease_s`. Each
chunk commit is conditional twice over: the job row only while this run still holds the
lease, the chunk only while it has no results. Two runners of one job can therefore never
both count a chunk; the one that lost the lease stops.

Beat's sweeper re-queues and sends again a running job whose lease ran out (its whole worker
died: SIGKILL, OOM kill, node loss) and a queued job nobody picked up. A message that comes
back late (Redis's visibility timeout) finds the job finished or leased to another run and
does nothing. A redelivery of the very message whose pool process died takes over at once.
Expiries are read from each process's clock: workers and beat need synchronized clocks
(NTP), which a lease of tens of seconds tolerates with room to spare.
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import Celery

from server.agents.errors import ArtifactError
from server.config import Settings
from server.database import job_repository as repo
from server.database.base import utcnow
from server.database.job_models import JobStatus
from server.database.session import Database
from server.services import registry
from server.services.jobs import enqueue_job
from server.taskqueue.payloads import ScoredBatch

log = structlog.get_logger(__name__)

Scorer = Callable[[int, str, list[str]], ScoredBatch]
"""(version, manifest sha256, texts) -> the worker's scored batch, labels chosen by the model."""


@dataclass
class Lease:
    """This run's hold on a job. Database work of the run goes through `lock`, so the
    renewal timer and the chunk loop never share a connection at the same time."""

    database: Database
    job_id: uuid.UUID
    seconds: float
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    lost: bool = False

    def expiry(self) -> datetime:
        """When the lease runs out if renewed now."""
        return utcnow() + timedelta(seconds=self.seconds)

    async def take(self, task_id: str | None) -> bool:
        async with self.lock, self.database.session() as session:
            taken = await repo.take_lease(
                session,
                self.job_id,
                owner=self.owner,
                task_id=task_id,
                now=utcnow(),
                until=self.expiry(),
            )
            await session.commit()
            return taken

    async def renew(self) -> bool:
        async with self.lock, self.database.session() as session:
            renewed = await repo.renew_lease(session, self.job_id, self.owner, self.expiry())
            await session.commit()
        self.lost = self.lost or not renewed
        return renewed

    async def keep(self) -> None:
        """Renew every third of the lease until cancelled or the lease is lost."""
        while not self.lost:
            await asyncio.sleep(self.seconds / 3)
            try:
                await self.renew()
            except Exception:  # a failed renewal is retried; the chunk commit renews too
                log.warning("job.lease_renewal_failed", job_id=str(self.job_id), exc_info=True)

    async def commit_chunk(self, position: int, results: list[dict[str, Any]]) -> bool:
        """Store a chunk's results and count them, renewing the lease, all or nothing.
        False: the lease is lost (stop). A chunk already scored is skipped, not counted."""
        async with self.lock, self.database.session() as session:
            # The job row first: on PostgreSQL its row lock orders concurrent runners, and on
            # SQLite a transaction that starts by writing cannot act on a stale snapshot.
            if not await repo.renew_lease(
                session, self.job_id, self.owner, self.expiry(), processed=len(results)
            ):
                await session.rollback()
                self.lost = True
                return False
            if await repo.store_results(session, self.job_id, position, results):
                await session.commit()
            else:  # committed by the run this one took over from, just before it did
                await session.rollback()
            return True

    async def end(self, status: JobStatus, error: str | None = None) -> JobStatus:
        """Finish the job with `status`; answers the job's status as it stands after."""
        async with self.lock, self.database.session() as session:
            ended = await repo.end_lease(
                session, self.job_id, self.owner, status=status, now=utcnow(), error=error
            )
            await session.commit()
        return status if ended else await current_status(self.database, self.job_id)


async def current_status(database: Database, job_id: uuid.UUID) -> JobStatus:
    async with database.session() as session:
        return await repo.job_status(session, job_id) or JobStatus.failed


async def run_job(
    database: Database,
    settings: Settings,
    job_id: uuid.UUID,
    score: Scorer,
    *,
    task_id: str | None = None,
) -> JobStatus:
    """Score every unscored chunk (worker side); resumes where a killed attempt stopped.

    `task_id` names the delivery running it: a redelivery of the same task may take over a
    lease still live (its process died); any other run leaves a leased job alone.
    """
    lease = Lease(database, job_id, settings.jobs_lease_s)
    if not await lease.take(task_id):
        status = await current_status(database, job_id)
        log.info("job.already_taken", job_id=str(job_id), status=status.value)
        return status
    pinned, refusal = await _pin_version(database, settings, job_id)
    if pinned is None:
        return await lease.end(JobStatus.failed, refusal)
    version, sha, chunks = pinned
    keeper = asyncio.create_task(lease.keep())
    refused: str | None = None
    try:
        for position in range(chunks):
            async with lease.lock, database.session() as session:
                if await repo.job_status(session, job_id) is JobStatus.cancelled:
                    return JobStatus.cancelled
                chunk = await repo.load_chunk(session, job_id, position)
            if chunk.results is not None:
                continue  # scored by an earlier attempt
            try:
                # In a thread, so the lease is renewed while a long chunk is scored.
                batch = await asyncio.to_thread(score, version, sha, chunk.texts)
            except ArtifactError as exc:  # tampered or unreadable: no worker may serve it
                log.warning("job.model_refused", job_id=str(job_id), version=version)
                refused = f"model version {version}: {exc}"[:500]
                break
            results: list[dict[str, Any]] = [
                {**item.model_dump(exclude={"oov_rate"}), "version": batch.version}
                for item in batch.items
            ]
            if not await lease.commit_chunk(position, results):
                status = await current_status(database, job_id)
                log.info("job.lease_lost", job_id=str(job_id), status=status.value)
                return status
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)  # its session closed first
    if refused is not None:
        return await lease.end(JobStatus.failed, refused)
    return await lease.end(JobStatus.succeeded)


async def _pin_version(
    database: Database, settings: Settings, job_id: uuid.UUID
) -> tuple[tuple[int, str, int] | None, str]:
    """(version, its manifest sha256, chunks) the job is scored with, pinned at its first
    run to the champion of the time; or None and why the job must fail."""
    async with database.session() as session:
        job = await repo.load_job(session, job_id)
        if job.attempts > settings.jobs_max_attempts:
            return None, f"gave up after {job.attempts - 1} attempts that did not finish"
        if job.version is None:
            champion = await registry.served_versions(session, job.model_name)
            if "champion" not in champion:
                return None, "no model version is promoted"
            job.version = champion["champion"][0]
            await session.commit()
        model = await registry.require_model(session, job.model_name)
        version = await registry.require_version(session, model, job.version)
        return (job.version, version.sha256, job.chunks), ""


async def sweep_stuck_jobs(database: Database, celery: Celery, settings: Settings) -> int:
    """Take back running jobs whose lease ran out and send them again, with every job still
    queued after `jobs_stuck_after_s`; returns how many were sent."""
    now = utcnow()
    cutoff = now - timedelta(seconds=settings.jobs_stuck_after_s)
    async with database.session() as session:
        lapsed = await repo.list_lapsed_jobs(session, now)
    taken_back = []
    for job_id in lapsed:
        async with database.session() as session:
            if await repo.requeue_lapsed(session, job_id, now):
                taken_back.append(job_id)
            await session.commit()
    if taken_back:
        log.warning("job.lease_expired", jobs=len(taken_back))
    async with database.session() as session:
        stuck = await repo.list_stuck_jobs(session, cutoff)
        for job in stuck:
            job.enqueued_at = now
        ids = [job.id for job in stuck]
        # Commit before sending: a worker that picks a job up at once must not meet this
        # transaction still open (SQLite refuses a write on a snapshot older than a commit).
        await session.commit()
    for job_id in [*taken_back, *ids]:
        await enqueue_job(celery, job_id)
    return len(taken_back) + len(ids)
