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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import Celery

from server.agents.classifier import Prediction
from server.agents.errors import ArtifactError
from server.config import Settings
from server.database import job_repository as repo
from server.database.base import utcnow
from server.database.job_models import JobStatus
from server.database.session import Database
from server.services import registry
from server.services.jobs import enqueue_job

log = structlog.get_logger(__name__)

Scorer = Callable[[int, str, list[str]], Sequence[Prediction]]
"""(version, manifest sha256, texts) -> one prediction per text, labels chosen by the model."""

Rows = list[dict[str, Any]]


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
    chunks_ahead = ChunkPipeline(lease, score, version, sha, chunks)
    try:
        async for position, rows in chunks_ahead:
            if rows is None:
                return JobStatus.cancelled
            if not await lease.commit_chunk(position, rows):
                status = await current_status(database, job_id)
                log.info("job.lease_lost", job_id=str(job_id), status=status.value)
                return status
    except ArtifactError as exc:  # tampered or unreadable: no worker may serve it
        log.warning("job.model_refused", job_id=str(job_id), version=version)
        return await lease.end(JobStatus.failed, f"model version {version}: {exc}"[:500])
    finally:
        await chunks_ahead.aclose()
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)  # its session closed first
    return await lease.end(JobStatus.succeeded)


class ChunkPipeline:
    """The job's unscored chunks, each scored while the one before it is written.

    Chunk n+1 is loaded before chunk n is handed out, and scored in a thread (so the lease
    keeps being renewed) while chunk n is committed: the worker's CPU scores while the
    database writes, instead of each waiting for the other. Commits stay in order, one at a
    time, so a run that dies resumes exactly as before. Yields (position, rows), rows None
    when the job was cancelled; a refused model version raises `ArtifactError`.
    """

    def __init__(self, lease: Lease, score: Scorer, version: int, sha: str, chunks: int) -> None:
        self._lease = lease
        self._score = score
        self._version = version
        self._sha = sha
        self._positions = iter(range(chunks))
        self._started = False
        self._ahead: asyncio.Future[tuple[int, Rows | None]] | None = None

    def __aiter__(self) -> "ChunkPipeline":
        return self

    async def __anext__(self) -> tuple[int, Rows | None]:
        if not self._started:
            self._started = True
            self._ahead = await self._prepare_next()
        current, self._ahead = self._ahead, None
        if current is None:
            raise StopAsyncIteration
        position, rows = await current
        if rows is not None:  # the next chunk is loaded and its scoring started first
            self._ahead = await self._prepare_next()
        return position, rows

    async def _prepare_next(self) -> asyncio.Future[tuple[int, Rows | None]] | None:
        """The next unscored chunk's rows being computed; None when none is left."""
        for position in self._positions:
            async with self._lease.lock, self._lease.database.session() as session:
                if await repo.job_status(session, self._lease.job_id) is JobStatus.cancelled:
                    cancelled = asyncio.get_running_loop().create_future()
                    cancelled.set_result((position, None))
                    return cancelled
                chunk = await repo.load_chunk(session, self._lease.job_id, position)
            if chunk.results is None:  # else scored by an earlier attempt
                return asyncio.ensure_future(asyncio.to_thread(self._rows, position, chunk.texts))
        return None

    def _rows(self, position: int, texts: list[str]) -> tuple[int, Rows]:
        predictions = self._score(self._version, self._sha, texts)
        return position, [
            {
                "label": p.label,
                "confidence": p.confidence,
                "probabilities": p.probabilities,
                "version": p.version,
            }
            for p in predictions
        ]

    async def aclose(self) -> None:
        """Drop the chunk being scored ahead (the run ended early)."""
        if self._ahead is not None:
            self._ahead.cancel()
            await asyncio.gather(self._ahead, return_exceptions=True)


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
