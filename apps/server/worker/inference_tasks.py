"""Inference tasks: score a micro-batch (queue `inference`), shadow-score (queue `shadow`)."""

import time
from collections import Counter
from typing import Any

import numpy as np
import structlog
from celery import Task, signals

from server.core.ml_metrics import INFERENCE_BATCH_SIZE, INFERENCE_DURATION, PREDICTIONS
from server.services.prediction_records import record, scored_from_batch, write_records
from server.worker.app import celery, settings
from server.worker.queues import ALL_QUEUES, INFERENCE, PREDICT_TASK, SHADOW, SHADOW_TASK
from server.worker.serving import serving_state

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


def queue_of(task: Task[Any, Any], default: str) -> str:
    """The queue a task was delivered from (`inference` or `inference-gpu`), bounded."""
    info = getattr(task.request, "delivery_info", None) or {}
    queue = info.get("routing_key")
    return queue if queue in ALL_QUEUES else default


def score(
    model: str, version: int, sha256: str, texts: list[str], *, queue: str, shadow: bool = False
) -> dict[str, Any]:
    """Score `texts` in one vectorized call with the requested (or fallback) version, and
    count it: duration, batch size, predictions by label."""
    started = time.perf_counter()
    served, outcome = str(version), "error"
    try:
        classifier = serving_state(settings).classifiers.get(model, version, sha256)
        served = str(classifier.version)
        probabilities, oov_rates = classifier.predict_proba_with_oov(texts)
        outcome = "ok"
    finally:
        seconds = time.perf_counter() - started
        INFERENCE_DURATION.labels(model, served, queue, outcome).observe(seconds)
        INFERENCE_BATCH_SIZE.labels(model, queue).observe(len(texts))
    winners = Counter(np.argmax(probabilities, axis=1).tolist())
    for index, count in winners.items():
        PREDICTIONS.labels(model, served, classifier.labels[index], str(shadow).lower()).inc(count)
    return {
        "version": classifier.version,
        "labels": list(classifier.labels),
        "probabilities": probabilities.round(6).tolist(),
        "oov_rates": [round(rate, 4) for rate in oov_rates],
        "seconds": time.perf_counter() - started,
    }


@celery.task(name=PREDICT_TASK, acks_late=False)
def predict_batch(model: str, version: int, sha256: str, texts: list[str]) -> dict[str, Any]:
    """Score one micro-batch for waiting API requests.

    Acknowledged on receipt (not late): the requests behind it time out within seconds, so
    redelivering it after a crash would only waste a worker on answers nobody awaits.
    """
    return score(model, version, sha256, texts, queue=queue_of(predict_batch, INFERENCE))


@celery.task(name=SHADOW_TASK, ignore_result=True)
def shadow_batch(
    model: str, version: int, sha256: str, texts: list[str], meta: list[dict[str, Any]]
) -> None:
    """Score champion traffic with the challenger and record it; nobody sees the answer."""
    state = serving_state(settings)
    started = time.perf_counter()
    batch = score(model, version, sha256, texts, queue=SHADOW, shadow=True)
    latency_ms = (time.perf_counter() - started) * 1000
    rows = [
        record(
            scored,
            text,
            model_name=model,
            latency_ms=latency_ms,
            requested_by=info["requested_by"],
            request_id=info.get("request_id"),
            store_inputs=settings.store_inputs,
            shadow=True,
        )
        for scored, text, info in zip(scored_from_batch(batch), texts, meta, strict=True)
    ]
    state.run(lambda database: write_records(database, rows))
