"""Batch jobs executed in-process: chunks, resume after a crash, cancel, give up."""

from collections.abc import Sequence
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy.ext.asyncio import AsyncConnection

from server.agents.artifacts.store import LocalArtifactStore
from server.agents.classifier import Prediction
from server.config import Settings
from server.database.models import BatchJob, BatchJobChunk, JobStatus
from server.services import job_runner, jobs, training
from server.services.job_inputs import JobItem
from server.taskqueue.celery_app import create_celery
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase
from server.worker.classifier_cache import ClassifierCache

ITEMS = [JobItem(f"refund order {i}", str(i)) for i in range(25)]


@pytest.fixture
def settings(test_database: ProvisionedDatabase, tmp_path: Path) -> Settings:
    return test_database.settings.model_copy(
        update={
            "artifact_root": tmp_path / "artifacts",
            "embedded_broker_dir": tmp_path / "broker",
            "train_default_rows": 3000,
            "jobs_chunk_size": 10,
        }
    )


@pytest.fixture
def database(db_connection: AsyncConnection) -> TransactionalDatabase:
    return TransactionalDatabase(db_connection)


@pytest.fixture
def celery(settings: Settings) -> Celery:
    return create_celery(settings)  # the embedded broker: tasks are sent, nobody consumes


def scorer(settings: Settings) -> job_runner.Scorer:
    cache = ClassifierCache(LocalArtifactStore(settings.artifact_root), size=2)

    def score(version: int, sha256: str, texts: list[str]) -> Sequence[Prediction]:
        return cache.get(settings.model_name, version, sha256).predict(texts)

    return score


async def promoted_model(database: TransactionalDatabase, settings: Settings) -> None:
    run = await training.create_run(
        database, settings, training.RunParams(promote=True, seed=1), trigger="t", requested_by="t"
    )
    await training.execute_run(database, settings, run.id)


async def test_a_job_is_scored_chunk_by_chunk(
    database: TransactionalDatabase, settings: Settings, celery: Celery
) -> None:
    await promoted_model(database, settings)
    job, created = await jobs.submit_job(
        database, celery, settings, ITEMS, owner="ann", idempotency_key=None
    )
    assert created
    assert job.chunks == 3
    status = await job_runner.run_job(database, settings, job.id, scorer(settings))
    assert status is JobStatus.succeeded
    lines = [line async for line in await jobs.stream_results(database, job.id, "ann", "csv")]
    assert lines[0] == '"position","id","label","confidence","version"\r\n'
    assert len(lines) == 1 + len(ITEMS)
    assert lines[1].startswith('0,"0","refund",')


async def test_a_resumed_job_skips_what_an_earlier_attempt_committed(
    database: TransactionalDatabase, settings: Settings, celery: Celery
) -> None:
    await promoted_model(database, settings)
    job, _ = await jobs.submit_job(
        database, celery, settings, ITEMS, owner="ann", idempotency_key=None
    )
    marker = [{"label": "done-before", "confidence": 1.0, "probabilities": {}}] * 10
    async with database.session() as session:
        chunk = await session.get_one(BatchJobChunk, (job.id, 0))
        chunk.results = marker
        await session.commit()
    await job_runner.run_job(database, settings, job.id, scorer(settings))
    async with database.session() as session:
        first = await session.get_one(BatchJobChunk, (job.id, 0))
        done = await session.get_one(BatchJob, job.id)
    assert first.results == marker
    assert done.processed == len(ITEMS) - 10  # only what this attempt scored


async def test_cancelled_and_exhausted_jobs_stop(
    database: TransactionalDatabase, settings: Settings, celery: Celery
) -> None:
    await promoted_model(database, settings)
    cancelled, _ = await jobs.submit_job(
        database, celery, settings, ITEMS, owner="ann", idempotency_key=None
    )
    async with database.session() as session:
        await jobs.cancel_job(session, cancelled.id, "ann")
    assert (
        await job_runner.run_job(database, settings, cancelled.id, scorer(settings))
        is JobStatus.cancelled
    )

    tired, _ = await jobs.submit_job(
        database, celery, settings, ITEMS, owner="ann", idempotency_key=None
    )
    async with database.session() as session:
        row = await session.get_one(BatchJob, tired.id)
        row.attempts = settings.jobs_max_attempts
        await session.commit()
    assert (
        await job_runner.run_job(database, settings, tired.id, scorer(settings)) is JobStatus.failed
    )


async def test_without_a_champion_the_job_fails_clearly(
    database: TransactionalDatabase, settings: Settings, celery: Celery
) -> None:
    job, _ = await jobs.submit_job(
        database, celery, settings, ITEMS, owner="ann", idempotency_key=None
    )
    assert (
        await job_runner.run_job(database, settings, job.id, scorer(settings)) is JobStatus.failed
    )
    async with database.session() as session:
        assert (await session.get_one(BatchJob, job.id)).error == "no model version is promoted"


async def test_another_owner_cannot_see_a_job(
    database: TransactionalDatabase, settings: Settings, celery: Celery
) -> None:
    job, _ = await jobs.submit_job(
        database, celery, settings, ITEMS, owner="ann", idempotency_key=None
    )
    async with database.session() as session:
        with pytest.raises(Exception, match="There is no job"):
            await jobs.get_job(session, job.id, "bob")
        assert (await jobs.get_job(session, job.id, None)).id == job.id  # an administrator
