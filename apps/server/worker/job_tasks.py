"""Batch job tasks: run a job (queue `batch`), beat's sweeper of stuck jobs, and the purge
of raw prediction inputs."""

from collections.abc import Sequence

from celery import current_task

from server.agents.classifier import Prediction
from server.core.tracing import tag_current_span, tracer
from server.services import job_runner
from server.services.predictions.records import purge_inputs
from server.taskqueue.payloads import JobPayload, PurgePayload, SweepPayload
from server.worker.celery_worker import celery, settings
from server.worker.scoring import classifier_for
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task

CHUNK_SPAN = "jobs.chunk"


def _score(version: int, sha256: str, texts: list[str]) -> Sequence[Prediction]:
    # Called once per chunk, in a thread that carries the task's context: one span each.
    with tracer(__name__).start_as_current_span(
        CHUNK_SPAN, attributes={"chunk.texts": len(texts), "model.version": version}
    ):
        return classifier_for(settings.model_name, version, sha256).predict(texts)


@payload_task(celery, JobPayload, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job_task(payload: JobPayload) -> str:
    """Score a batch job chunk by chunk under the job's lease. A pool process killed mid-job
    hands the message back to the broker (late ack) and its redelivery takes over at once; a
    whole worker that died is noticed by its lapsed lease and the sweeper sends the job again.
    Either way the next run skips the chunks already committed."""
    task_id = getattr(getattr(current_task, "request", None), "id", None)
    tag_current_span("job.id", str(payload.job_id))
    state = serving_state(settings)
    status = state.run(
        lambda database: job_runner.run_job(
            database, settings, payload.job_id, _score, task_id=task_id
        )
    )
    return status.value


@payload_task(celery, PurgePayload, ignore_result=True)
def purge_inputs_task(payload: PurgePayload) -> int:
    """Drop raw prediction inputs past `prediction_retention_days` (beat, hourly)."""
    return serving_state(settings).run(
        lambda database: purge_inputs(database, settings.prediction_retention_days)
    )


@payload_task(celery, SweepPayload, ignore_result=True)
def sweep_jobs_task(payload: SweepPayload) -> int:
    """Send again jobs whose worker died (lapsed lease) or still waiting in `queued` (beat
    runs this every `jobs_sweep_interval_s`)."""
    return serving_state(settings).run(
        lambda database: job_runner.sweep_stuck_jobs(database, celery, settings)
    )
