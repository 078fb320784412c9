"""Inference tasks: score a micro-batch (queue `inference`), shadow-score (queue `shadow`)."""

import time
from typing import Any

import structlog
from celery import signals

from server.services.predictions.records import record_shadow_batch
from server.taskqueue.names import INFERENCE, SHADOW
from server.taskqueue.payloads import PredictPayload, ScoredBatch, ShadowPayload
from server.worker.celery_worker import celery, settings
from server.worker.classifier_cache import ModelRefusedError
from server.worker.scoring import delivery_queue, score
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task

log = structlog.get_logger(__name__)


WARM_UP_S = 20.0
"""Longest a new pool process waits for its models before taking tasks; Celery's
`worker_proc_alive_timeout` is above it (taskqueue/celery_app.py)."""


def _start_serving() -> None:
    # The presence beat and the model refresh run in threads, so the child is not killed for
    # a slow start. The beat names the queues this worker consumes (chosen by `--queues`
    # before the pool forked): the API counts only workers that serve predictions.
    state = serving_state(settings)
    state.queues = sorted(celery.amqp.queues.consume_from)
    state.beat_once()
    # Take no task before the served versions are loaded (bounded): a process that replaces
    # another (the leak guards) otherwise made its first batches wait for the model.
    if not state.warmed.wait(WARM_UP_S):
        log.warning("worker.warm_up_slow", waited_s=WARM_UP_S)


@signals.worker_process_init.connect
def _load_models_at_start(**_: Any) -> None:
    _start_serving()


@signals.worker_init.connect
def _solo_pool_start(sender: Any = None, **_: Any) -> None:
    # The solo pool (GPU workers) runs tasks in the main process and has no pool children.
    if "solo" in str(getattr(sender, "pool_cls", "")).lower():
        _start_serving()


@payload_task(celery, PredictPayload, acks_late=False)
def predict_batch(payload: PredictPayload) -> ScoredBatch:
    """Score one micro-batch for waiting API requests.

    Acknowledged on receipt (not late): the requests behind it time out within seconds, so
    redelivering it after a crash would only waste a worker on answers nobody awaits.
    A version this process refuses (tampered artifact) is answered with the reason, which
    the API passes on as a 503, never scored by another version.
    """
    try:
        return score(payload, payload.texts, queue=delivery_queue(INFERENCE))
    except ModelRefusedError as exc:
        return ScoredBatch(version=payload.version, items=[], refused=str(exc))


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
