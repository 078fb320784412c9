"""Inference tasks: score a micro-batch (queue `inference`), shadow-score (queue `shadow`)."""

import time
from typing import Any

import structlog
from celery import signals

from server.services.predictions.records import record_shadow_batch
from server.taskqueue.names import INFERENCE, SHADOW
from server.taskqueue.payloads import PredictPayload, ScoredBatch, ShadowPayload
from server.worker.celery_worker import celery, settings
from server.worker.scoring import delivery_queue, score
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task

log = structlog.get_logger(__name__)


@signals.worker_process_init.connect
def _load_models_at_start(**_: Any) -> None:
    # Start the heartbeat (which loads the served versions) in each new pool process; it
    # runs in a thread, so the child is not killed for a slow start.
    serving_state(settings)


@signals.worker_init.connect
def _solo_pool_start(sender: Any = None, **_: Any) -> None:
    # The solo pool (GPU workers) runs tasks in the main process and has no pool children.
    if "solo" in str(getattr(sender, "pool_cls", "")).lower():
        serving_state(settings)


@payload_task(celery, PredictPayload, acks_late=False)
def predict_batch(payload: PredictPayload) -> ScoredBatch:
    """Score one micro-batch for waiting API requests.

    Acknowledged on receipt (not late): the requests behind it time out within seconds, so
    redelivering it after a crash would only waste a worker on answers nobody awaits.
    """
    return score(payload, payload.texts, queue=delivery_queue(INFERENCE))


@payload_task(celery, ShadowPayload, ignore_result=True)
def shadow_batch(payload: ShadowPayload) -> None:
    """Score champion traffic with the challenger and record it; nobody sees the answer."""
    state = serving_state(settings)
    started = time.perf_counter()
    batch = score(payload, payload.texts, queue=SHADOW, shadow=True)
    latency_ms = (time.perf_counter() - started) * 1000
    state.run(
        lambda database: record_shadow_batch(
            database, settings, payload, batch, latency_ms=latency_ms
        )
    )
