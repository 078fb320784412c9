"""The training task (queue `training`): a thin shell around the training service, so the
same run executes from the API, from beat's schedule and from the CLI."""

from typing import Any

import structlog

from server.database.session import Database
from server.services import training
from server.taskqueue.payloads import TrainPayload
from server.worker.celery_worker import celery, settings
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task


async def _train(database: Database, payload: TrainPayload) -> dict[str, Any]:
    run_id = payload.run_id
    if run_id is None:  # started by beat: the run is recorded here
        run = await training.create_run(
            database, settings, training.RunParams(), trigger=payload.trigger, requested_by="beat"
        )
        run_id = run.id
    finished = await training.execute_run(database, settings, run_id)
    return {"run_id": str(run_id), "status": finished.status.value}


@payload_task(
    celery,
    TrainPayload,
    ignore_result=True,  # the run's row is the result
    time_limit=settings.training_time_limit_s,
    soft_time_limit=max(settings.training_time_limit_s - 60, 1),
)
def run_training_task(payload: TrainPayload) -> dict[str, Any]:
    """Execute one training run."""
    run_id = None if payload.run_id is None else str(payload.run_id)
    with structlog.contextvars.bound_contextvars(run_id=run_id, task=TrainPayload.task):
        return serving_state(settings).run(lambda database: _train(database, payload))
