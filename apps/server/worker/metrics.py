"""A worker's own Prometheus endpoint and its task metrics.

The prefork pool's children write samples to prometheus-client's multiprocess directory
(set by `python -m server worker` before anything imports the client); the main process
serves the aggregate on `worker_metrics_port`, with the worker's liveness probe on
`/livez` (see liveness.py).
"""

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import redis
import structlog
from celery import signals
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.exposition import ThreadingWSGIServer

from server.config import Settings
from server.core.metrics import ProcessGroupCollector, WithExemplars, multiprocess_dir
from server.worker.liveness import with_liveness
from server.worker.metrics_collectors import GpuCollector, QueueDepthCollector

log = structlog.get_logger(__name__)

TASKS = Counter(
    "worker_tasks_total",
    "Tasks finished or dropped unrun (`expired`, `revoked`), by outcome.",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "worker_task_duration_seconds",
    "Time a task ran in a worker process.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
TASK_RETRIES = Counter("worker_task_retries_total", "Task retries requested.", ["task"])

_started: dict[str, float] = {}


def start_metrics_server(settings: Settings, alive: Callable[[], bool]) -> None:
    """Serve every pool process's samples on `worker_metrics_port` (main process only), and
    `alive()` on `/livez`."""
    if not settings.worker_metrics_port:
        return
    registry: CollectorRegistry | None = None
    directory = multiprocess_dir()
    if directory is not None:
        registry = CollectorRegistry()
        aggregate = multiprocess.MultiProcessCollector(None, path=str(directory))  # type: ignore[no-untyped-call]
        registry.register(WithExemplars(aggregate, directory))  # the scoring spans' traces
        register_sampled(registry, settings, directory)
    app = with_liveness(make_wsgi_app(registry or REGISTRY), alive)
    server = make_server(
        settings.host,
        settings.worker_metrics_port,
        app,
        ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("worker.metrics_serving", port=settings.worker_metrics_port)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes are not worth a log line each."""


def register_sampled(registry: CollectorRegistry, settings: Settings, directory: Path) -> None:
    """Metrics read at scrape time: the pool's CPU and memory, queue depths (Redis only;
    the embedded broker has no queue to count), GPUs (when NVML finds one)."""
    registry.register(ProcessGroupCollector(directory))
    registry.register(GpuCollector())
    if settings.redis_url:
        registry.register(QueueDepthCollector(redis.Redis.from_url(settings.redis_url)))


@signals.task_prerun.connect
def _task_started(task_id: str, **_: Any) -> None:
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(name, (state or "unknown").lower()).inc()
    if started is not None:
        TASK_DURATION.labels(name).observe(time.perf_counter() - started)


@signals.task_revoked.connect
def _task_dropped(sender: Any = None, expired: bool = False, **_: Any) -> None:
    # Runs where the message is received (the main process): an expired task (its caller
    # gave up) or a revoked one is discarded without running.
    name = getattr(sender, "name", "unknown")
    outcome = "expired" if expired else "revoked"
    TASKS.labels(name, outcome).inc()
    log.info("task.dropped", task=name, outcome=outcome)


@signals.task_retry.connect
def _task_retried(sender: Any = None, **_: Any) -> None:
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


@signals.worker_process_shutdown.connect
def _child_exited(pid: int | None = None, **_: Any) -> None:
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]
