"""Celery tasks. Each is a thin shell around a service function, so the work is testable
without a broker and the same code runs from the CLI."""

import asyncio
import uuid
from typing import Any

import structlog

from server.database.session import Database
from server.services import training
from server.worker.app import celery, settings
from server.worker.queues import TRAIN_TASK

log = structlog.get_logger(__name__)


async def _train(run_id: str | None, trigger: str) -> dict[str, Any]:
    database = Database.from_settings(settings)
    try:
        if run_id is None:  # started by beat: the run is recorded here
            run = await training.create_run(
                database, settings, training.RunParams(), trigger=trigger, requested_by="beat"
            )
            run_id = str(run.id)
        finished = await training.execute_run(database, settings, uuid.UUID(run_id))
        return {"run_id": run_id, "status": finished.status.value}
    finally:
        await database.dispose()


@celery.task(
    name=TRAIN_TASK,
    ignore_result=True,  # the run's row is the result
    time_limit=settings.training_time_limit_s,
    soft_time_limit=max(settings.training_time_limit_s - 60, 1),
)
def run_training_task(run_id: str | None = None, trigger: str = "api") -> dict[str, Any]:
    """Execute one training run (queue `training`)."""
    with structlog.contextvars.bound_contextvars(run_id=run_id, task=TRAIN_TASK):
        return asyncio.run(_train(run_id, trigger))
