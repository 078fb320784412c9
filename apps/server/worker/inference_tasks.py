"""Inference tasks: score a micro-batch (queue `inference`), shadow-score (queue `shadow`)."""

import time
from typing import Any

import structlog
from celery import signals

from server.services.prediction_records import record, scored_from_batch, write_records
from server.worker.app import celery, settings
from server.worker.queues import PREDICT_TASK, SHADOW_TASK
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


def score(model: str, version: int, sha256: str, texts: list[str]) -> dict[str, Any]:
    """Score `texts` in one vectorized call with the requested (or fallback) version."""
    started = time.perf_counter()
    classifier = serving_state(settings).classifiers.get(model, version, sha256)
    probabilities = classifier.predict_proba(texts)
    return {
        "version": classifier.version,
        "labels": list(classifier.labels),
        "probabilities": probabilities.round(6).tolist(),
        "seconds": time.perf_counter() - started,
    }


@celery.task(name=PREDICT_TASK, acks_late=False)
def predict_batch(model: str, version: int, sha256: str, texts: list[str]) -> dict[str, Any]:
    """Score one micro-batch for waiting API requests.

    Acknowledged on receipt (not late): the requests behind it time out within seconds, so
    redelivering it after a crash would only waste a worker on answers nobody awaits.
    """
    return score(model, version, sha256, texts)


@celery.task(name=SHADOW_TASK, ignore_result=True)
def shadow_batch(
    model: str, version: int, sha256: str, texts: list[str], meta: list[dict[str, Any]]
) -> None:
    """Score champion traffic with the challenger and record it; nobody sees the answer."""
    state = serving_state(settings)
    started = time.perf_counter()
    batch = score(model, version, sha256, texts)
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
