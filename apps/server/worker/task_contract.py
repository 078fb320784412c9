"""Registering a Celery task on its payload model: validated arguments in, JSON out.

Like a route's request model, the payload is checked before the task body runs: a message
that does not match the contract fails with a validation error that names the field, and
the body receives a typed object instead of loose keyword arguments.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from celery import Celery, Task
from pydantic import BaseModel

from server.taskqueue.payloads import TaskPayload

P = TypeVar("P", bound=TaskPayload)
R = TypeVar("R")


def payload_task(
    celery: Celery, payload_type: type[P], **options: Any
) -> Callable[[Callable[[P], R]], "Task[Any, Any]"]:
    """Register `body(payload)` as the task named by `payload_type`."""

    # Options pass through to Celery untouched (an option left out keeps the app's default),
    # which its stubs cannot express with a mapping of options: hence one typed alias.
    make_task = cast(Callable[..., Callable[[Callable[..., Any]], "Task[Any, Any]"]], celery.task)

    def register(body: Callable[[P], R]) -> "Task[Any, Any]":
        def run(**fields: Any) -> Any:
            result = body(payload_type.model_validate(fields))
            return result.model_dump(mode="json") if isinstance(result, BaseModel) else result

        run.__name__ = run.__qualname__ = body.__name__
        run.__doc__ = body.__doc__
        run.__module__ = body.__module__
        return make_task(name=payload_type.task, **options)(run)

    return register
