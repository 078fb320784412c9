"""Telling every API process at once that something it caches changed.

API processes cache what changes rarely (a user's token generation, an API key's verdict,
the serving plan). The process that changes it publishes a short message and every process
drops the matching entries at once. On (re)subscribing, a bus sends `EVERYTHING` to this
process's own handlers, since messages published meanwhile were missed.

With Redis the messages travel on a pub/sub channel; without it, the in-memory bus reaches
this process only (the embedded default runs one API process). Pub/sub delivers at most
once and only to connected subscribers, so a process trusts its caches only while it is
subscribed (`listening`), or for a short time-to-live.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.core.redis_errors import REDIS_UNREACHABLE

log = structlog.get_logger(__name__)

Handler = Callable[[str], None]
EVERYTHING = "*"


class Broadcast(Protocol):
    @property
    def listening(self) -> bool:
        """Whether every message published anywhere reaches this process now."""
        ...

    def subscribe(self, handler: Handler) -> None:
        """Call `handler` with each message (from its own process too, synchronously)."""
        ...

    async def publish(self, message: str) -> None:
        """Deliver to this process's handlers before returning, then to the others."""
        ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class _Handlers:
    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def dispatch(self, message: str) -> None:
        for handler in self._handlers:
            handler(message)


class MemoryBroadcast(_Handlers):
    """One process: publishing is calling the handlers."""

    @property
    def listening(self) -> bool:
        return True

    async def publish(self, message: str) -> None:
        self.dispatch(message)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class RedisBroadcast(_Handlers):
    """A Redis pub/sub channel shared by every API process, resubscribing after failures."""

    def __init__(
        self, url: str, channel: str, *, timeout_s: float = 0.5, retry_s: float = 1.0
    ) -> None:
        super().__init__()
        self._channel = channel
        self._retry_s = retry_s
        self._timeout_s = timeout_s
        # Publishing must not hang a request; the subscriber waits on an idle socket for
        # as long as nothing changes, so it gets no read timeout, only health checks.
        self._publisher = Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._subscriber = Redis.from_url(
            url, socket_connect_timeout=timeout_s, health_check_interval=10
        )
        self._origin = uuid.uuid4().hex  # to skip our own messages: handled at publish
        self._listening = False
        self._tried = asyncio.Event()  # the first subscription attempt is over
        self._task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._listening

    async def start(self) -> None:
        """Subscribe in the background; wait for the first attempt (bounded) to end."""
        self._task = asyncio.create_task(self._run(), name=f"broadcast {self._channel}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._tried.wait(), timeout=self._timeout_s * 4)
        if not self._listening:
            log.warning("broadcast.not_listening", channel=self._channel)

    async def publish(self, message: str) -> None:
        self.dispatch(message)
        try:
            await self._publisher.publish(self._channel, f"{self._origin} {message}")
        except REDIS_UNREACHABLE:
            # Other processes then miss it; theirs is the same broken Redis, so they are not
            # listening either and fall back to checking the database.
            log.warning("broadcast.publish_failed", channel=self._channel)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._publisher.aclose()
        await self._subscriber.aclose()

    async def _run(self) -> None:
        while True:
            pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._listening = True
                self.dispatch(EVERYTHING)  # whatever was missed while not subscribed
                self._tried.set()
                log.info("broadcast.listening", channel=self._channel)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"])
            except REDIS_UNREACHABLE:
                if self._listening:
                    log.warning("broadcast.disconnected", channel=self._channel)
                self._tried.set()
            finally:
                self._listening = False
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self._retry_s)

    def _receive(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        origin, _, message = text.partition(" ")
        if origin != self._origin and message:
            self.dispatch(message)


def build_broadcast(redis_url: str | None, channel: str) -> Broadcast:
    """Redis pub/sub when a URL is given (every API process hears it), else in memory."""
    if redis_url:
        return RedisBroadcast(redis_url, channel)
    return MemoryBroadcast()
