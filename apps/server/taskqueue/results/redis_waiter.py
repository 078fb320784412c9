"""`RedisResultWaiter`: results of Celery's Redis backend, told by PUBLISH."""

import asyncio
import contextlib

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from server.core.errors import ServiceUnavailableError
from server.core.redis_errors import REDIS_UNREACHABLE
from server.core.tracing import outside_any_trace
from server.taskqueue.results.base import TASK_KEY_PREFIX, ResultWaiter, _stop, log

_RETRY_AFTER = {"Retry-After": "5"}


class RedisResultWaiter(ResultWaiter):
    """One long-lived pattern subscription resolves every wait of this process.

    The subscription covers `celery-task-meta-<id_prefix>*`: with a per-process prefix a
    process receives its own results only, not those of every API replica. Race-free:
    after each (re)subscription is confirmed, the stored values of all pending ids are read
    with one MGET, so a result published while unsubscribed is not lost. On a dropped
    connection one immediate reconnect is tried; if it fails, pending waits fail with
    ServiceUnavailableError, new ones fail fast, and reconnects back off to `reconnect_max_s`.
    """

    def __init__(
        self,
        redis_url: str,
        *,
        id_prefix: str = "",
        connect_timeout_s: float = 2.0,
        reconnect_max_s: float = 2.0,
        max_connections: int = 8,
    ) -> None:
        super().__init__(id_prefix)
        # Commands retry once (a pooled connection may be stale after a Redis restart) and
        # queue for one of a few connections: a burst of look-ups must not open hundreds.
        # The listener never retries inside redis-py, whose silent resubscribe hides a gap.
        self._commands = Redis.from_pool(
            BlockingConnectionPool.from_url(
                redis_url,
                max_connections=max_connections,
                timeout=None,  # each wait has its own deadline
                socket_connect_timeout=connect_timeout_s,
                socket_timeout=connect_timeout_s,
                retry=Retry(NoBackoff(), 1),
            )
        )
        self._listener: Redis = Redis.from_url(
            redis_url,
            socket_connect_timeout=connect_timeout_s,
            retry=Retry(NoBackoff(), 0),
            client_name=f"results-listener-{id_prefix}".rstrip("-"),  # seen in CLIENT LIST
        )
        self._pattern = f"{TASK_KEY_PREFIX}{id_prefix}*"
        self._connect_timeout_s = connect_timeout_s
        self._reconnect_max_s = reconnect_max_s
        self._state = "connecting"  # then "up", or "down" after a failed (re)connect
        self._tasks: list[asyncio.Task[None]] = []
        self._to_delete: list[str] = []
        self._delete_wanted = asyncio.Event()

    def _check_available(self) -> None:
        super()._check_available()
        if self._state == "down":
            raise ServiceUnavailableError("Redis is unreachable.", headers=_RETRY_AFTER)

    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [
                # Started by the first batch: its loops belong to no batch's trace.
                asyncio.create_task(outside_any_trace(self._listen()), name="results-listener"),
                asyncio.create_task(outside_any_trace(self._delete_loop()), name="results-deleter"),
            ]

    async def _fetch(self, task_id: str) -> bytes | None:
        try:
            value = await self._commands.get(TASK_KEY_PREFIX + task_id)
        except REDIS_UNREACHABLE as exc:
            raise ServiceUnavailableError("Redis is unreachable.", headers=_RETRY_AFTER) from exc
        return value if isinstance(value, bytes) else None

    def _forget(self, task_id: str) -> None:
        # One deleter task sends the keys of many results in one DEL, off the reply path.
        self._to_delete.append(TASK_KEY_PREFIX + task_id)
        self._delete_wanted.set()

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self._listener.pubsub()
            try:
                await self._subscribe(pubsub)
                if failures:
                    log.info("results.reconnected", failures=failures)
                failures = 0
                self._state = "up"
                await self._recover(list(self._pending))
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if message is not None and message["type"] == "pmessage":
                        channel: bytes = message["channel"]
                        self._offer(channel[len(TASK_KEY_PREFIX) :].decode(), message["data"])
            except Exception as exc:
                # Whatever ends the subscription (a dropped connection, a subscribe timeout;
                # a bug, logged) ends in a resubscribe: waits must never lose their reader.
                if not isinstance(exc, RedisError | OSError):
                    log.exception("results.listener_failed")
                failures += 1
                if self._state == "up":
                    log.warning("results.disconnected", error=type(exc).__name__)
                    self._state = "connecting"
                    continue  # one immediate retry: a blip should not fail waits
                if self._state == "connecting":
                    log.error("results.unavailable", error=type(exc).__name__)
                self._state = "down"
                self._fail_pending(
                    ServiceUnavailableError("Redis is unreachable.", headers=_RETRY_AFTER)
                )
                await asyncio.sleep(min(0.05 * 2**failures, self._reconnect_max_s))
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _subscribe(self, pubsub: PubSub) -> None:
        """PSUBSCRIBE and wait for Redis to confirm it: from then on nothing is missed."""
        await pubsub.psubscribe(self._pattern)
        async with asyncio.timeout(self._connect_timeout_s):
            while True:
                message = await pubsub.get_message(timeout=self._connect_timeout_s)
                if message is not None and message["type"] == "psubscribe":
                    return

    async def _recover(self, task_ids: list[str]) -> None:
        """Read results stored while no subscription was confirmed (at start, reconnects)."""
        if task_ids:
            keys = [TASK_KEY_PREFIX + task_id for task_id in task_ids]
            values = await self._commands.mget(keys)
            for task_id, raw in zip(task_ids, values, strict=True):
                if isinstance(raw, bytes):
                    self._offer(task_id, raw)

    async def _delete_loop(self) -> None:
        while True:
            await self._delete_wanted.wait()
            self._delete_wanted.clear()
            await self._delete_now()

    async def _delete_now(self) -> None:
        keys, self._to_delete = self._to_delete, []
        if keys:
            try:
                await self._commands.delete(*keys)
            except REDIS_UNREACHABLE as exc:  # they expire with result_expires anyway
                log.warning("results.delete_failed", keys=len(keys), error=type(exc).__name__)

    async def aclose(self) -> None:
        """Stop listening, delete the results read so far, close the connections."""
        await super().aclose()
        for task in self._tasks:
            await _stop(task)
        await self._delete_now()
        await self._listener.aclose()
        await self._commands.aclose()
