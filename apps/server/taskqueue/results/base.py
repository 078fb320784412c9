"""What every result waiter shares: the base class, the handle of one wait, the errors.

See the package docstring for how results are stored, published and awaited.
"""

import asyncio
import json
import re
import uuid
from abc import ABC, abstractmethod
from http import HTTPStatus
from typing import Any

import structlog

from server.core.errors import AppError, GatewayTimeoutError, ServiceUnavailableError

# One logger for the whole package, named after it (`server.taskqueue.results`).
log = structlog.get_logger(__package__)

TASK_KEY_PREFIX = "celery-task-meta-"
_READY_STATES = frozenset({"SUCCESS", "FAILURE", "REVOKED"})
# Ids end up in a Redis glob pattern and in file names: keep them to a safe alphabet.
_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_ID_PREFIX = re.compile(r"[A-Za-z0-9-]{0,32}")


class TaskFailedError(AppError):
    """The task ran and failed (or was revoked).

    502 Bad Gateway: the API is a gateway to the worker, which gave an invalid answer; the
    API itself did not fail (500), and a client can tell the two apart.
    The worker's exception type is kept for logs and callers, never sent to the client.
    """

    status = HTTPStatus.BAD_GATEWAY
    slug = "task-failed"

    def __init__(self, task_id: str, exc_type: str | None) -> None:
        super().__init__("The worker could not process this request; try again later.")
        self.task_id = task_id
        self.exc_type = exc_type


def _final_meta(raw: bytes) -> dict[str, Any] | None:
    """Celery's meta when the task is over; None while it runs or the file is half-written."""
    try:
        meta = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError; the filesystem backend writes in place
        return None
    if isinstance(meta, dict) and meta.get("status") in _READY_STATES:
        return meta
    return None


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for it to end."""
    # Python 3.11's asyncio.wait_for (used inside redis-py) swallows a cancellation that
    # lands just as its inner call completes: cancel again until the task has really ended.
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    if not task.cancelled() and task.exception() is not None:
        log.error("results.task_crashed", task=task.get_name(), exc_info=task.exception())


class ResultHandle:
    """Interest in one task's result, registered before the task is sent."""

    def __init__(self, waiter: "ResultWaiter", task_id: str, future: asyncio.Future[Any]) -> None:
        self._waiter = waiter
        self.task_id = task_id
        self._future = future

    async def wait(self, timeout_s: float, *, look_up: bool = False) -> Any:
        """The task's return value; GatewayTimeoutError, ServiceUnavailableError, TaskFailedError.

        `look_up` reads the stored value once first, for a task sent before `expect`.
        """
        try:
            async with asyncio.timeout(timeout_s):
                if look_up:
                    raw = await self._waiter._fetch(self.task_id)
                    if raw is not None:
                        self._waiter._offer(self.task_id, raw)
                meta: dict[str, Any] = await self._future
        except TimeoutError:
            raise GatewayTimeoutError("The worker did not answer in time.") from None
        finally:
            self.discard()
        if meta["status"] == "SUCCESS":
            return meta.get("result")
        result = meta.get("result")
        exc_type = str(result.get("exc_type")) if isinstance(result, dict) else None
        log.warning("results.task_failed", task_id=self.task_id, exc_type=exc_type)
        raise TaskFailedError(self.task_id, exc_type)

    def discard(self) -> None:
        """Stop waiting (e.g. the task could not be sent); safe to call twice."""
        if self._waiter._pending.get(self.task_id) is self._future:
            del self._waiter._pending[self.task_id]
        if not self._future.done():
            self._future.cancel()
        elif not self._future.cancelled():
            self._future.exception()  # mark as retrieved: no "never retrieved" log


class ResultWaiter(ABC):
    """Awaits results of tasks whose ids it hands out (`new_task_id`)."""

    def __init__(self, id_prefix: str) -> None:
        if not _ID_PREFIX.fullmatch(id_prefix):
            raise ValueError("id_prefix may hold only letters, digits and '-'")
        self.id_prefix = id_prefix
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._closed = False

    def new_task_id(self) -> str:
        """An id to send a task under (`send_task(..., task_id=...)`) so this waiter sees it."""
        return f"{self.id_prefix}{uuid.uuid4()}"

    def expect(self, task_id: str) -> ResultHandle:
        """Register interest in `task_id`; call before sending the task."""
        if not (_TASK_ID.fullmatch(task_id) and task_id.startswith(self.id_prefix)):
            raise ValueError(f"task id {task_id!r} was not made by this waiter's new_task_id()")
        if task_id in self._pending:
            raise ValueError(f"task {task_id!r} is already awaited")
        self._check_available()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[task_id] = future
        self._start()
        return ResultHandle(self, task_id, future)

    async def wait(self, task_id: str, timeout_s: float) -> Any:
        """The return value of task `task_id`, even if it finished before this call."""
        return await self.expect(task_id).wait(timeout_s, look_up=True)

    async def aclose(self) -> None:
        """Stop background work; waits still pending fail with ServiceUnavailableError."""
        self._closed = True
        self._fail_pending(ServiceUnavailableError("The service is shutting down."))

    def _check_available(self) -> None:
        if self._closed:
            raise ServiceUnavailableError("The service is shutting down.")

    def _offer(self, task_id: str, raw: bytes) -> None:
        """A stored or published value for `task_id`: resolve its waiter if it is final."""
        future = self._pending.get(task_id)
        if future is None or future.done():
            return  # not ours, or already answered; unclaimed results expire in Celery
        meta = _final_meta(raw)
        if meta is not None:
            future.set_result(meta)
            self._forget(task_id)

    def _fail_pending(self, exc: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(exc)

    @abstractmethod
    def _start(self) -> None:
        """Make sure the background reader or poller runs."""

    @abstractmethod
    async def _fetch(self, task_id: str) -> bytes | None:
        """The stored value of `task_id`, if any."""

    @abstractmethod
    def _forget(self, task_id: str) -> None:
        """Delete the stored result of `task_id` (it has been read)."""
