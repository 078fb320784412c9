"""The training task (queue `training`): a thin shell around the training service, so the
same run executes from the API, from beat's schedule and from the CLI."""

from typing import Any

import structlog
from opentelemetry import context
from opentelemetry.trace import Span

from server.core.tracing import tracer
from server.database.session import Database
from server.services import training
from server.taskqueue.payloads import TrainPayload
from server.worker.celery_worker import celery, settings
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task

RUN_SPAN = "training.run"
STAGE_SPAN = "training.{stage}"
LAST_STAGE = "completed"


class StageSpans:
    """A progress callback that traces the run's stages: one span per stage the pipeline
    reports (validating, fitting, calibrating, evaluating, packaging, verifying), a child of
    the run's span, ended when the next stage begins."""

    def __init__(self) -> None:
        self._parent = context.get_current()  # the run's span, whatever thread reports
        self._stage: str | None = None
        self._span: Span | None = None

    def __call__(self, _fraction: float, stage: str) -> None:
        if stage == self._stage:
            return
        self.close()
        self._stage = stage
        if stage != LAST_STAGE:
            self._span = tracer(__name__).start_span(
                STAGE_SPAN.format(stage=stage),
                context=self._parent,
                attributes={"training.stage": stage},
            )

    def close(self) -> None:
        """End the stage in progress (the run finished or failed)."""
        if self._span is not None:
            self._span.end()
            self._span = None


async def _train(database: Database, payload: TrainPayload, stages: StageSpans) -> dict[str, Any]:
    run_id = payload.run_id
    if run_id is None:  # started by beat: the run is recorded here
        run = await training.create_run(
            database, settings, training.RunParams(), trigger=payload.trigger, requested_by="beat"
        )
        run_id = run.id
    finished = await training.execute_run(database, settings, run_id, on_progress=stages)
    return {"run_id": str(run_id), "status": finished.status.value}


@payload_task(
    celery,
    TrainPayload,
    ignore_result=True,  # the run's row is the result
    time_limit=settings.training_time_limit_s,
    soft_time_limit=max(settings.training_time_limit_s - 60, 1),
)
def run_training_task(payload: TrainPayload) -> dict[str, Any]:
    """Execute one training run, traced as one span with a child per stage."""
    run_id = None if payload.run_id is None else str(payload.run_id)
    with (
        structlog.contextvars.bound_contextvars(run_id=run_id, task=TrainPayload.task),
        tracer(__name__).start_as_current_span(
            RUN_SPAN,
            attributes={"training.trigger": payload.trigger, "training.run_id": run_id or ""},
        ),
    ):
        stages = StageSpans()
        try:
            return serving_state(settings).run(lambda database: _train(database, payload, stages))
        finally:
            stages.close()
