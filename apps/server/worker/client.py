"""Sending tasks from async code: the publish runs in a thread, failures become 503."""

import asyncio
from collections.abc import Mapping
from typing import Any

import structlog
from celery import Celery
from kombu.exceptions import OperationalError

from server.core.errors import ServiceUnavailableError

log = structlog.get_logger(__name__)

# Fail fast when the broker is down: a client gets 503 in about a second, not a hang.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2}


async def send_task(
    celery: Celery,
    name: str,
    *,
    kwargs: dict[str, Any],
    queue: str,
    headers: Mapping[str, str | list[str]],
    ignore_result: bool = True,
    task_id: str | None = None,
) -> str:
    """Publish task `name` without blocking the event loop; returns the task id.

    Tasks whose outcome lives in the database (training runs, jobs) ignore Celery's result
    backend, so publishing touches nothing but the broker.
    """
    try:
        result = await asyncio.to_thread(
            celery.send_task,
            name,
            kwargs=kwargs,
            queue=queue,
            headers=dict(headers),
            ignore_result=ignore_result,
            task_id=task_id,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except (OperationalError, OSError) as exc:
        log.warning("task.publish_failed", task=name, queue=queue, error=type(exc).__name__)
        raise ServiceUnavailableError(
            "The task queue is unreachable; try again shortly.", headers={"Retry-After": "5"}
        ) from exc
    sent_id: str = result.id
    return sent_id
