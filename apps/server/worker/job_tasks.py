"""Batch job tasks: run a job (queue `batch`), and beat's sweeper of stuck jobs."""

import asyncio
import uuid
from typing import Any

from server.database.session import Database
from server.services import jobs
from server.services.prediction_records import purge_inputs
from server.worker.app import celery, settings
from server.worker.classifiers import item_results
from server.worker.queues import JOB_TASK, PURGE_TASK, SWEEP_TASK
from server.worker.serving import serving_state


def _score(version: int, sha256: str, texts: list[str]) -> tuple[int, list[dict[str, Any]]]:
    classifier = serving_state(settings).classifiers.get(settings.model_name, version, sha256)
    return classifier.version, item_results(classifier, texts)


@celery.task(name=JOB_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job_task(job_id: str) -> str:
    """Score a batch job chunk by chunk. A process killed mid-job hands it back to the broker
    (late ack); the next attempt skips the chunks already committed."""
    state = serving_state(settings)
    status = state.run(lambda database: jobs.run_job(database, settings, uuid.UUID(job_id), _score))
    return status.value


async def _sweep() -> int:
    database = Database.from_settings(settings)
    try:
        return await jobs.sweep_stuck_jobs(database, celery, settings)
    finally:
        await database.dispose()


async def _purge() -> int:
    database = Database.from_settings(settings)
    try:
        return await purge_inputs(database, settings.prediction_retention_days)
    finally:
        await database.dispose()


@celery.task(name=PURGE_TASK, ignore_result=True)
def purge_inputs_task() -> int:
    """Drop raw prediction inputs past `prediction_retention_days` (beat, hourly)."""
    return asyncio.run(_purge())


@celery.task(name=SWEEP_TASK, ignore_result=True)
def sweep_jobs_task() -> int:
    """Enqueue again the jobs still waiting in `queued` (beat runs this periodically)."""
    return asyncio.run(_sweep())
