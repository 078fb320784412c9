"""The Celery application, configured from Settings.

Redis is the broker and result backend in compose, the cluster and CI. Without
`APP_REDIS_URL` (`make dev`), kombu's filesystem transport under `var/broker` stands in
(with atomic publishing, see embedded_transport.py):
a real broker between real processes, polled every `embedded_broker_poll_s` (20 ms) instead
of kombu's default second, so a development round trip stays well under a second.
"""

from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from server.config import Settings
from server.taskqueue import embedded_transport
from server.taskqueue.names import (
    ALL_QUEUES,
    BATCH,
    INFERENCE,
    JOB_TASK,
    MONITOR_TASK,
    PREDICT_TASK,
    PROMPT_EVAL_TASK,
    PURGE_TASK,
    SHADOW,
    SHADOW_TASK,
    SWEEP_TASK,
    TRAIN_TASK,
    TRAINING,
)


def _embedded_broker(directory: Path, poll_s: float) -> dict[str, Any]:
    folders = {name: directory / name for name in ("queue", "processed", "control", "results")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": f"{embedded_transport.SCHEME}://",
        "broker_transport_options": {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
            "store_processed": False,
            "polling_interval": poll_s,
        },
        "result_backend": f"file://{folders['results']}",
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for `settings`: reliability first (see the comments)."""
    if settings.redis_url:
        transport: dict[str, Any] = {
            "broker_url": settings.redis_url,
            "result_backend": settings.redis_url,
            # Redis redelivers an unacknowledged task after this; it must exceed the longest
            # task, or a slow training run is started twice.
            "broker_transport_options": {
                "visibility_timeout": settings.broker_visibility_timeout_s
            },
            "result_backend_transport_options": {
                "visibility_timeout": settings.broker_visibility_timeout_s
            },
        }
    else:
        transport = _embedded_broker(settings.embedded_broker_dir, settings.embedded_broker_poll_s)
    return transport | {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # One direct exchange per queue, routing key = queue name, so `queue=` always lands.
        "task_queues": [Queue(name, Exchange(name), routing_key=name) for name in ALL_QUEUES],
        "task_default_queue": INFERENCE,
        "task_routes": {
            TRAIN_TASK: {"queue": TRAINING},
            PROMPT_EVAL_TASK: {"queue": TRAINING},
            PREDICT_TASK: {"queue": INFERENCE},
            SHADOW_TASK: {"queue": SHADOW},
            JOB_TASK: {"queue": BATCH},
            SWEEP_TASK: {"queue": BATCH},
            PURGE_TASK: {"queue": BATCH},
            MONITOR_TASK: {"queue": BATCH},
        },
        # Acknowledge after the work is done, and re-queue a task whose process died
        # (OOM, SIGKILL), so an accepted task is not lost; tasks guard against loops.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        "result_expires": settings.result_expires_s,
        "worker_max_tasks_per_child": settings.worker_max_tasks_per_child,
        "worker_max_memory_per_child": settings.worker_max_memory_per_child_kb,
        # A new pool process loads its models before it takes tasks (up to 20 s,
        # worker/inference_tasks.py); Celery's default 4 s would kill it for a slow start.
        "worker_proc_alive_timeout": 30.0,
        "worker_concurrency": settings.worker_concurrency,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": settings.worker_send_task_events,
        # No `task-sent` event per publish: it doubled the broker work of every prediction
        # batch in the API (7 % of its CPU under load).
        "task_send_sent_event": False,
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
    }


def create_celery(settings: Settings, *, include_tasks: bool = False) -> Celery:
    """A Celery app. The API only sends tasks by name; a worker also imports their code."""
    modules = [
        "server.worker.training_tasks",
        "server.worker.prompt_eval_tasks",
        "server.worker.inference_tasks",
        "server.worker.job_tasks",
        "server.worker.monitoring_tasks",
    ]
    app = Celery(settings.app_name, include=modules if include_tasks else [])
    config = celery_config(settings)
    if not include_tasks:
        # The API reads results with its own async waiter (taskqueue/results/); Celery's
        # client-side result consumer would subscribe with blocking calls on every send.
        config["result_backend"] = None
    app.conf.update(config)
    return app
