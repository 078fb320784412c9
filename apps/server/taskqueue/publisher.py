"""Publishing tasks from async code: the publish runs in a thread, failures become 503."""

import asyncio
from collections.abc import Mapping
from functools import partial
from typing import Any

import structlog
from celery import Celery
from celery.result import AsyncResult
from kombu.exceptions import OperationalError
from opentelemetry.propagate import inject
from opentelemetry.trace import SpanKind

from server.core.errors import ServiceUnavailableError
from server.core.tracing import enabled, tracer
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
    send = partial(_send_traced, celery) if enabled() else celery.send_task
    try:
        result = await asyncio.to_thread(
            send,
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


def _send_traced(celery: Celery, name: str, **options: Any) -> AsyncResult[Any]:
    """`send_task` inside a PRODUCER span whose context travels in the task's headers (W3C
    `traceparent`), so the worker's task span is its child. `asyncio.to_thread` copies the
    caller's context into the thread: the span's parent is the caller's current span.

    Not Celery's instrumentation: its publish span ends in `after_task_publish` only for a
    task registered in the publishing process, and the API sends tasks by name."""
    with tracer(__name__).start_as_current_span(
        f"publish {name}",
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "celery", "messaging.destination.name": options["queue"]},
    ) as span:
        headers = options["headers"]
        inject(headers)
        result: AsyncResult[Any] = celery.send_task(name, **options)
        span.set_attribute("messaging.message.id", str(result.id))
        return result
