"""Publishing tasks from async code: the publish runs in a thread, failures become 503."""

import asyncio
from collections.abc import Mapping

import structlog
from celery import Celery
from kombu.exceptions import OperationalError

from server.core.errors import ServiceUnavailableError
from server.taskqueue.payloads import TaskPayload

log = structlog.get_logger(__name__)

# Fail fast when the broker is down: a client gets 503 in about a second, not a hang.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2}


async def publish(
    celery: Celery,
    payload: TaskPayload,
    *,
    headers: Mapping[str, str | list[str]] | None = None,
    queue: str | None = None,
    ignore_result: bool = True,
    task_id: str | None = None,
    expires_s: float | None = None,
) -> str:
    """Publish `payload` to its task without blocking the event loop; returns the task id.

    Tasks whose outcome lives in the database (training runs, jobs) ignore Celery's result
    backend, so publishing touches nothing but the broker. The arguments are logged by
    Celery as `payload.log_repr()`, never with the texts they carry. With `expires_s`, a
    worker that receives the task later than that discards it unrun (work nobody awaits).
    """
    name = payload.task
    target = queue or payload.queue
    try:
        result = await asyncio.to_thread(
            celery.send_task,
            name,
            kwargs=payload.model_dump(mode="json"),
            queue=target,
            headers=dict(headers or {}),
            ignore_result=ignore_result,
            task_id=task_id,
            expires=expires_s,
            argsrepr="()",
            kwargsrepr=payload.log_repr(),
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except (OperationalError, OSError) as exc:
        log.warning("task.publish_failed", task=name, queue=target, error=type(exc).__name__)
        raise ServiceUnavailableError(
            "The task queue is unreachable; try again shortly.", headers={"Retry-After": "5"}
        ) from exc
    sent_id: str = result.id
    return sent_id
