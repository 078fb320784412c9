"""The worker process's Celery app (`python -m server worker`, or
`celery -A server.worker.celery_worker worker`): the queue room's app plus the task modules,
beat's schedule, metrics and logging. Settings are read once from the environment."""

from typing import Any

import structlog
from celery import signals

from server.config import Settings
from server.core.logging import configure_logging
from server.taskqueue.celery_app import create_celery
from server.worker import reconnect_fixes, tracing
from server.worker.liveness import ConsumerGuard
from server.worker.metrics import start_metrics_server
from server.worker.schedule import beat_schedule

settings = Settings()
celery = create_celery(settings, include_tasks=True)
celery.conf.beat_schedule = beat_schedule(settings)


reconnect_fixes.install()
tracing.connect(settings)  # each process sets up its own provider once it has started
guard = ConsumerGuard(settings.worker_dead_consumer_exit_s)


@signals.worker_init.connect
def _serve_metrics(sender: Any = None, **_: Any) -> None:
    guard.attach(sender)  # a worker whose consumer died fails liveness, then exits
    start_metrics_server(settings, lambda: guard.alive)


@signals.worker_shutting_down.connect
def _shutdown_requested(**_: Any) -> None:
    guard.shutdown_requested()


@signals.task_prerun.connect
def _bind_task_context(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    # The API sends the request id and user id as task headers: every log line of the task
    # carries them, like the request's own lines in the API.
    # A micro-batch of predictions serves many requests: it sends `request_ids`/`user_ids`.
    request = getattr(task, "request", None)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task=getattr(task, "name", None),
        task_id=task_id,
        request_id=getattr(request, "request_id", None) or None,
        user_id=getattr(request, "user_id", None) or None,
    )
    for many in ("request_ids", "user_ids"):
        values = getattr(request, many, None)
        if values:
            structlog.contextvars.bind_contextvars(**{many: list(values)})


@signals.setup_logging.connect
def _configure_logging(**_: Any) -> None:
    # Connecting this signal stops Celery from installing its own handlers: worker logs go
    # through the same structlog pipeline (JSON in production) as the API's.
    configure_logging(settings)
