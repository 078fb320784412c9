"""Awaiting Celery task results from async code, never with the blocking `AsyncResult.get()`.

Celery's result backends store a task's outcome under `celery-task-meta-<task id>` as JSON
(`status`, `result`, `traceback`, ...). The Redis backend also PUBLISHes that value on a
channel of the same name, in the same MULTI as the SET, so a waiter subscribed before the
task finishes is told at once; the filesystem backend of `make dev` only writes a file of
that name, which is polled. Either way a result is deleted once read: inference results
would otherwise pile up until `result_expires`.

Usage, race-free and without an extra round trip: `handle = waiter.expect(task_id)` before
sending the task, then `await handle.wait(timeout_s)`. `await waiter.wait(task_id, timeout_s)`
also works after sending: it looks the stored value up once after registering.
"""

from server.taskqueue.results.base import (
    TASK_KEY_PREFIX,
    ResultHandle,
    ResultWaiter,
    TaskFailedError,
)
from server.taskqueue.results.factory import create_result_waiter
from server.taskqueue.results.file_waiter import FileResultWaiter
from server.taskqueue.results.redis_waiter import RedisResultWaiter

__all__ = [
    "TASK_KEY_PREFIX",
    "FileResultWaiter",
    "RedisResultWaiter",
    "ResultHandle",
    "ResultWaiter",
    "TaskFailedError",
    "create_result_waiter",
]
