"""Scoring on a worker: this process's classifiers, counted in the inference metrics."""

import time
from collections import Counter

from celery import current_task

from server.agents.classifier import TicketClassifier
from server.core.exemplars import observe
from server.core.ml_metrics import (
    INFERENCE_BATCH_SIZE,
    INFERENCE_DURATION,
    PREDICTIONS,
    SCORED_TEXTS,
)
from server.core.tracing import tracer
from server.taskqueue.names import ALL_QUEUES
from server.taskqueue.payloads import ScoredBatch, VersionRef
from server.worker.celery_worker import settings
from server.worker.classifier_cache import scored_batch
from server.worker.serving import serving_state

SCORE_SPAN = "inference.score"


def classifier_for(model: str, version: int, sha256: str) -> TicketClassifier:
    """This process's classifier for the version; `ModelRefusedError` if it refuses it."""
    return serving_state(settings).classifiers.get(model, version, sha256)


def delivery_queue(default: str) -> str:
    """The queue the running task was delivered from (`inference` or `inference-gpu`)."""
    info = getattr(getattr(current_task, "request", None), "delivery_info", None) or {}
    queue = info.get("routing_key")
    return queue if queue in ALL_QUEUES else default


def score(ref: VersionRef, texts: list[str], *, queue: str, shadow: bool = False) -> ScoredBatch:
    """Score `texts` in one vectorized call with the requested version, and count it:
    duration, batch size, predictions by label."""
    started = time.perf_counter()
    model, served, outcome = ref.model, str(ref.version), "error"
    with tracer(__name__).start_as_current_span(
        SCORE_SPAN,
        attributes={"batch.size": len(texts), "model.name": model, "messaging.queue": queue},
    ) as span:
        try:
            classifier = classifier_for(model, ref.version, ref.sha256)
            served = str(classifier.version)
            span.set_attribute("model.version", classifier.version)
            span.set_attribute("model.device", classifier.device)
            batch = scored_batch(classifier, texts)
            SCORED_TEXTS.labels(queue, classifier.device).inc(len(texts))
            outcome = "ok"
        finally:
            seconds = time.perf_counter() - started
            observe(INFERENCE_DURATION, (model, served, queue, outcome), seconds)
            INFERENCE_BATCH_SIZE.labels(model, queue).observe(len(texts))
    for label, count in Counter(item.label for item in batch.items).items():
        PREDICTIONS.labels(model, served, label, str(shadow).lower()).inc(count)
    return batch
