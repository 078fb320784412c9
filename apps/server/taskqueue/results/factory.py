"""`create_result_waiter`: the waiter for the configured result backend."""

import secrets

from server.config import Settings
from server.taskqueue.results.base import ResultWaiter
from server.taskqueue.results.file_waiter import FileResultWaiter
from server.taskqueue.results.redis_waiter import RedisResultWaiter


def create_result_waiter(
    settings: Settings, *, poll_s: float | None = None, id_prefix: str | None = None
) -> ResultWaiter:
    """The waiter for the configured result backend: Redis, else the embedded broker's files.

    `id_prefix` defaults to a random one per waiter (one per API process): tasks must then
    be sent with ids from `new_task_id()`. `poll_s` (files only) defaults to the embedded
    broker's own polling interval.
    """
    prefix = f"{secrets.token_hex(4)}-" if id_prefix is None else id_prefix
    if settings.redis_url:
        return RedisResultWaiter(settings.redis_url, id_prefix=prefix)
    results_dir = settings.embedded_broker_dir / "results"
    interval = settings.embedded_broker_poll_s if poll_s is None else poll_s
    return FileResultWaiter(results_dir, poll_s=interval, id_prefix=prefix)
