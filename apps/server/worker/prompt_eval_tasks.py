"""The prompt evaluation task (queue `training`): a thin shell around the evaluation runs
service, drafting through the drafting service's own drafter.

Its `classify_ticket` tool publishes to `inference` and waits for the answer, so the
worker that runs this task must not be the only consumer of `inference` with a single pool
process (it would wait on itself until the tool's timeout): the deployments run training
and inference workers apart, and `make dev` starts one of each.
"""

from typing import Any

import structlog

from server.core.tracing import tracer
from server.database.session import Database
from server.services.assistant import prompt_eval_runs
from server.services.assistant.prompt_evaluation import eval_drafter
from server.taskqueue.payloads import PromptEvalPayload
from server.worker.celery_worker import celery, settings
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task

RUN_SPAN = "prompts.evaluation"


async def _evaluate(database: Database, payload: PromptEvalPayload) -> dict[str, Any]:
    async with eval_drafter(settings, database) as drafter:
        run = await prompt_eval_runs.execute_run(database, settings, payload.run_id, drafter)
    return {"run_id": str(run.id), "status": run.status.value}


@payload_task(
    celery,
    PromptEvalPayload,
    ignore_result=True,  # the run's row is the result
    time_limit=settings.training_time_limit_s,
    soft_time_limit=max(settings.training_time_limit_s - 60, 1),
)
def run_prompt_eval_task(payload: PromptEvalPayload) -> dict[str, Any]:
    """Execute one prompt evaluation run, traced as one span."""
    run_id = str(payload.run_id)
    with (
        structlog.contextvars.bound_contextvars(run_id=run_id, task=PromptEvalPayload.task),
        tracer(__name__).start_as_current_span(RUN_SPAN, attributes={"prompts.run_id": run_id}),
    ):
        return serving_state(settings).run(lambda database: _evaluate(database, payload))
