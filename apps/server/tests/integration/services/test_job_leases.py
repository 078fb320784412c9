"""Job leases on each database backend: one runner at a time, the loser of a race stops
without counting, a long chunk keeps its lease, the sweeper takes back a lapsed one.

Each runner here has an engine of its own and commits for real, as two worker processes
would; the scorers are stand-ins that tag each result with the runner that scored it.
"""

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from server.agents.classifier import Prediction
from server.agents.errors import ArtifactIntegrityError
from server.config import Settings
from server.database import job_repository as repo
from server.database.base import utcnow
from server.database.models import BatchJob, BatchJobChunk, JobStatus
from server.database.session import Database
from server.services import job_runner, jobs, registry
from server.services.job_inputs import JobItem
from server.services.job_runner import Lease, run_job
from server.taskqueue.celery_app import create_celery
from server.tests.support.databases import postgres_param, provision_database
from server.tests.support.waiting import WORK_BUDGET_S, eventually

ITEMS = [JobItem(f"refund order {i}", str(i)) for i in range(50)]  # 5 chunks of 10
SHA256 = "0" * 64


class Tagger:
    """A scorer that labels every text with `tag`; with `gate`, it waits for it first."""

    def __init__(self, tag: str, gate: threading.Event | None = None) -> None:
        self.tag, self.gate, self.calls = tag, gate, 0

    def __call__(self, version: int, sha256: str, texts: list[str]) -> list[Prediction]:
        self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(WORK_BUDGET_S)
        item = Prediction(self.tag, 1.0, {self.tag: 1.0}, version, oov_rate=0.0)
        return [item] * len(texts)


async def _promote_a_version(settings: Settings) -> None:
    async with Database.connect(settings) as database, database.session() as session:
        version = await registry.reserve_version_number(session, settings.model_name)
        await registry.register_version(
            session,
            model_name=settings.model_name,
            version=version,
            artifact_uri="file:///nowhere",
            sha256=SHA256,
            metrics={},
            manifest={},
            created_by="test",
        )
        await registry.set_alias(
            session, settings.model_name, "champion", version, actor="t", reason="test"
        )


@pytest.fixture(scope="module", params=["sqlite", postgres_param()])
def lease_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp(f"leases-{request.param}")
    with provision_database(request.param, tmp) as provisioned:
        settings = provisioned.settings.model_copy(
            update={"embedded_broker_dir": tmp / "broker", "jobs_chunk_size": 10}
        )
        asyncio.run(_promote_a_version(settings))
        yield settings


@pytest.fixture
async def database(lease_settings: Settings) -> AsyncIterator[Database]:
    async with Database.connect(lease_settings) as opened:
        yield opened


async def new_job(
    database: Database, settings: Settings, items: list[JobItem] = ITEMS
) -> uuid.UUID:
    celery = create_celery(settings)  # the embedded broker: sent, nobody consumes
    job, _ = await jobs.submit_job(
        database, celery, settings, items, owner="ann", idempotency_key=None
    )
    return job.id


async def job_row(database: Database, job_id: uuid.UUID) -> BatchJob:
    async with database.session() as session:
        return await session.get_one(BatchJob, job_id)


async def labels(database: Database, job_id: uuid.UUID) -> list[str]:
    """The label of every stored result, chunk by chunk."""
    async with database.session() as session:
        chunks = await session.scalars(
            select(BatchJobChunk)
            .where(BatchJobChunk.job_id == job_id)
            .order_by(BatchJobChunk.position)
        )
        return [result["label"] for chunk in chunks for result in chunk.results or []]


async def lapse(database: Database, job_id: uuid.UUID) -> None:
    """Let the lease run out, as it does when its holder's process froze or died."""
    async with database.session() as session:
        await session.execute(
            update(BatchJob)
            .where(BatchJob.id == job_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()


async def test_a_job_leased_to_a_live_run_is_left_alone(
    database: Database, lease_settings: Settings
) -> None:
    job_id = await new_job(database, lease_settings)
    assert await Lease(database, job_id, 30.0).take("task-a")
    other = Tagger("other")
    status = await run_job(database, lease_settings, job_id, other, task_id="task-b")
    assert status is JobStatus.running
    job = await job_row(database, job_id)
    assert (other.calls, job.attempts, job.processed) == (0, 1, 0)


async def test_a_message_coming_back_after_the_job_finished_does_nothing(
    database: Database, lease_settings: Settings
) -> None:
    job_id = await new_job(database, lease_settings)
    assert await run_job(database, lease_settings, job_id, Tagger("a"), task_id="task-a") is (
        JobStatus.succeeded
    )
    late = Tagger("late")
    status = await run_job(database, lease_settings, job_id, late, task_id="task-a")
    assert status is JobStatus.succeeded
    job = await job_row(database, job_id)
    assert (late.calls, job.attempts, job.processed) == (0, 1, len(ITEMS))
    assert job.lease_owner is None


async def test_two_concurrent_runners_of_one_job_never_count_a_chunk_twice(
    lease_settings: Settings,
) -> None:
    # The same task delivered twice at once (Redis's visibility timeout ran out while the
    # first run still worked): the second takes over, the first must stop uncounted.
    async with Database.connect(lease_settings) as one, Database.connect(lease_settings) as two:
        job_id = await new_job(one, lease_settings)
        gate = threading.Event()
        first = Tagger("first", gate)
        running = asyncio.create_task(run_job(one, lease_settings, job_id, first, task_id="t"))
        try:

            async def first_calls() -> int:
                return first.calls

            await eventually(first_calls, lambda calls: calls == 1)  # scoring chunk 0
            second = Tagger("second")
            status = await run_job(two, lease_settings, job_id, second, task_id="t")
        finally:
            gate.set()
        assert status is JobStatus.succeeded
        assert await running is JobStatus.succeeded  # it found its lease gone and stopped
        job = await job_row(one, job_id)
        assert (first.calls, second.calls) == (1, 5)
        assert (job.processed, job.attempts) == (len(ITEMS), 2)
        assert await labels(one, job_id) == ["second"] * len(ITEMS)


async def test_a_stalled_runner_that_lost_its_lease_commits_nothing(
    database: Database, lease_settings: Settings
) -> None:
    job_id = await new_job(database, lease_settings)
    stalled = Lease(database, job_id, 30.0)
    assert await stalled.take("task-a")
    await lapse(database, job_id)  # its process froze past the lease
    status = await run_job(database, lease_settings, job_id, Tagger("new"), task_id="task-b")
    assert status is JobStatus.succeeded
    woken = [{"label": "stalled", "confidence": 1.0, "probabilities": {}, "version": 1}] * 10
    assert not await stalled.commit_chunk(0, woken)
    assert stalled.lost
    assert (await job_row(database, job_id)).processed == len(ITEMS)
    assert await labels(database, job_id) == ["new"] * len(ITEMS)


async def test_a_chunk_scored_before_the_take_over_is_not_counted_again(
    database: Database, lease_settings: Settings
) -> None:
    job_id = await new_job(database, lease_settings)
    lease = Lease(database, job_id, 30.0)
    assert await lease.take("task-a")
    earlier = [{"label": "earlier", "confidence": 1.0, "probabilities": {}, "version": 1}] * 10
    async with database.session() as session:  # the previous holder's last commit
        assert await repo.store_results(session, job_id, 0, earlier)
        await session.commit()
    later = [{"label": "later", "confidence": 1.0, "probabilities": {}, "version": 1}] * 10
    assert await lease.commit_chunk(0, later)  # still the holder: it goes on
    assert (await job_row(database, job_id)).processed == 0
    assert (await labels(database, job_id))[:10] == ["earlier"] * 10


async def test_a_long_chunk_keeps_its_lease(database: Database, lease_settings: Settings) -> None:
    settings = lease_settings.model_copy(update={"jobs_lease_s": 0.6})
    job_id = await new_job(database, settings, ITEMS[:20])
    gate = threading.Event()
    running = asyncio.create_task(
        run_job(database, settings, job_id, Tagger("slow", gate), task_id="task-a")
    )
    try:
        first_expiry = (
            await eventually(
                lambda: job_row(database, job_id), lambda job: job.lease_expires_at is not None
            )
        ).lease_expires_at
        assert first_expiry is not None

        async def renewed_past_first_expiry() -> bool:
            job = await job_row(database, job_id)
            expiry = job.lease_expires_at
            return utcnow() > first_expiry and expiry is not None and expiry > utcnow()

        await eventually(renewed_past_first_expiry, bool)
        other = Tagger("other")
        status = await run_job(database, settings, job_id, other, task_id="task-b")
        assert (status, other.calls) == (JobStatus.running, 0)
    finally:
        gate.set()
    assert await running is JobStatus.succeeded
    assert await labels(database, job_id) == ["slow"] * 20


async def test_the_sweeper_takes_back_a_lapsed_job_and_leaves_a_live_one(
    database: Database, lease_settings: Settings
) -> None:
    celery = create_celery(lease_settings)
    lapsed, live = await new_job(database, lease_settings), await new_job(database, lease_settings)
    assert await Lease(database, lapsed, 30.0).take("task-a")
    assert await Lease(database, live, 30.0).take("task-b")
    await lapse(database, lapsed)
    assert await job_runner.sweep_stuck_jobs(database, celery, lease_settings) >= 1
    taken_back, untouched = await job_row(database, lapsed), await job_row(database, live)
    assert (taken_back.status, taken_back.lease_owner) == (JobStatus.queued, None)
    assert (untouched.status, untouched.lease_task_id) == (JobStatus.running, "task-b")
    status = await run_job(database, lease_settings, lapsed, Tagger("again"), task_id="task-c")
    assert status is JobStatus.succeeded
    assert (await job_row(database, lapsed)).attempts == 2


async def test_a_job_whose_runs_keep_dying_fails_after_the_last_attempt(
    database: Database, lease_settings: Settings
) -> None:
    celery = create_celery(lease_settings)
    job_id = await new_job(database, lease_settings)
    for attempt in range(lease_settings.jobs_max_attempts):
        assert await Lease(database, job_id, 30.0).take(f"task-{attempt}")
        await lapse(database, job_id)
        await job_runner.sweep_stuck_jobs(database, celery, lease_settings)
    status = await run_job(database, lease_settings, job_id, Tagger("x"), task_id="last")
    assert status is JobStatus.failed
    job = await job_row(database, job_id)
    assert (
        job.error
        == f"gave up after {lease_settings.jobs_max_attempts} attempts that did not finish"
    )
    assert job.lease_owner is None


class Refusing:
    """A scorer whose worker refuses the version's artifact (its files were modified)."""

    def __call__(self, version: int, sha256: str, texts: list[str]) -> list[Prediction]:
        raise ArtifactIntegrityError("weights.npy: sha256 differs from the manifest's")


async def test_a_job_on_a_refused_artifact_fails_at_once_with_the_reason(
    database: Database, lease_settings: Settings
) -> None:
    job_id = await new_job(database, lease_settings)
    status = await run_job(database, lease_settings, job_id, Refusing(), task_id="task-a")
    assert status is JobStatus.failed
    job = await job_row(database, job_id)
    assert job.error is not None
    assert "sha256 differs" in job.error
    assert (job.processed, job.lease_owner) == (0, None)


async def test_the_next_chunk_is_scored_while_the_last_one_is_being_written(
    database: Database, lease_settings: Settings
) -> None:
    """Scoring and writing overlap: with chunk 0's row locked by another transaction (its
    write waits), chunk 1 is scored anyway. A run that scored and wrote in turn would wait."""
    if lease_settings.database_url.startswith("sqlite"):
        pytest.skip("row locks: PostgreSQL")
    job_id = await new_job(database, lease_settings)
    tagger = Tagger("a")
    async with Database.connect(lease_settings) as other, other.session() as blocker:
        await blocker.execute(
            select(BatchJobChunk)
            .where(BatchJobChunk.job_id == job_id, BatchJobChunk.position == 0)
            .with_for_update()
        )
        run = asyncio.create_task(
            run_job(database, lease_settings, job_id, tagger, task_id="task-a")
        )
        try:
            await eventually(lambda: asyncio.sleep(0, tagger.calls), lambda calls: calls >= 2)
        finally:
            await blocker.rollback()
            status = await run
    assert status is JobStatus.succeeded
    assert await labels(database, job_id) == ["a"] * len(ITEMS)
