"""A per-process cache of looked-up values that never lets a crowd of callers stampede.

Credentials are checked on every request; what they are worth (a user's state, an API key's
owner and scopes) is looked up once and trusted for a few seconds. A plain expiring entry
expires for every concurrent caller at once: at 64 connections, 64 requests then ran the
same lookup together (an API key's lookup also writes its last use, so they queued on one
row lock), which put the API-key path's p99 at five times the token path's. Here:

- concurrent misses of one key share a single load (single flight);
- an entry used in the last `refresh_ahead_s` of its life is reloaded in the background
  while callers keep getting the cached value, so a busy key never expires in anyone's face;
- `invalidate` forgets entries *and* loads in flight, so nobody who asks after an
  invalidation gets an answer read before it.

Use it from one event loop. `aclose` waits for background reloads.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    expires_at: float
    value: V


class RefreshingCache(Generic[K, V]):
    """key -> `load(key)`, trusted for `ttl_s` while `trusted()` says so.

    While `trusted()` is false (say, the revocation bus is not listening) nothing is served
    from memory or stored: every `get` loads, though concurrent ones still share a load.
    """

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        *,
        ttl_s: float,
        refresh_ahead_s: float,
        max_entries: int = 10_000,
        trusted: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._refresh_ahead_s = min(refresh_ahead_s, ttl_s)
        self._max_entries = max_entries
        self._trusted = trusted
        self._clock = clock
        self._entries: dict[K, _Entry[V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}
        self._background: set[asyncio.Task[None]] = set()

    def peek(self, key: K) -> tuple[bool, V | None]:
        """`(True, value)` when a trusted value is cached, else `(False, None)`; never waits.

        A value near its expiry is handed out and reloaded in the background."""
        entry = self._entries.get(key)
        if entry is None or not self._trusted():
            return False, None
        left = entry.expires_at - self._clock()
        if left <= 0:
            return False, None
        if left <= self._refresh_ahead_s and key not in self._loading:
            self._reload_in_background(key)
        return True, entry.value

    async def get(self, key: K) -> V:
        """The cached value, or the result of the one load of `key` in flight (started now
        when there is none). Raises what the load raised."""
        found, value = self.peek(key)
        if found:
            return value  # type: ignore[return-value]  # a cached V, which may be None
        return await asyncio.shield(self._start_load(key))

    def invalidate(self, matches: Callable[[K, V], bool] | None = None) -> None:
        """Forget every entry (`matches` None) or those it selects, and every load in
        flight: they may have read what the invalidation just made stale."""
        if matches is None:
            self._entries.clear()
        else:
            for key in [k for k, e in self._entries.items() if matches(k, e.value)]:
                del self._entries[key]
        self._loading.clear()

    async def aclose(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _start_load(self, key: K) -> asyncio.Future[V]:
        pending = self._loading.get(key)
        if pending is not None:
            return pending
        future = asyncio.ensure_future(self._load(key))
        self._loading[key] = future
        future.add_done_callback(lambda done: self._loaded(key, done))
        return future

    def _loaded(self, key: K, future: "asyncio.Future[V]") -> None:
        if self._loading.get(key) is not future:
            return  # invalidated while it ran: its answer is not kept
        del self._loading[key]
        if future.cancelled() or future.exception() is not None or not self._trusted():
            return
        if len(self._entries) >= self._max_entries and key not in self._entries:
            self._entries.clear()
        self._entries[key] = _Entry(self._clock() + self._ttl_s, future.result())

    def _reload_in_background(self, key: K) -> None:
        future = self._start_load(key)

        async def settle() -> None:
            try:
                await future
            except Exception as exc:  # the entry stays until it expires; callers then load
                log.warning("cache.refresh_failed", error=type(exc).__name__)

        task = asyncio.ensure_future(settle())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
