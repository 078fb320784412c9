"""The per-process store: for the embedded default, where no Redis runs.

Each API process counts on its own, so with N processes a client gets up to N times the
limit; use Redis wherever more than one process serves. Memory is bounded: every entry
expires when its bucket is full again (or its failures are forgotten), and past
`max_keys` per table the least recently used entries are dropped. Dropping one forgives
what that key had used, the price of a bound an address-rotating client cannot blow up.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from server.core.rate_limit.base import (
    Backoff,
    RateDecision,
    check_hit,
    fits,
    make_decision,
)

DEFAULT_MAX_KEYS = 100_000
# Expired entries dropped from the cold end per write: keeps clean-up O(1) amortized.
_SWEEP = 8

V = TypeVar("V")


class _ExpiringMap(Generic[V]):
    """A dict whose entries expire, bounded to `max_entries` in least-recently-used order."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str, now: float) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def set(self, key: str, value: V, expires_at: float, now: float) -> None:
        self._items[key] = (expires_at, value)
        self._items.move_to_end(key)
        for _ in range(_SWEEP):
            oldest = next(iter(self._items), None)
            if oldest is None or self._items[oldest][0] > now:
                break
            del self._items[oldest]
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        self._items.pop(key, None)


class MemoryRateLimiter:
    """`RateLimiter` in this process's memory. Never raises `RateLimitUnavailable`.

    Safe without locks: no method awaits between reading and writing its state.
    """

    def __init__(
        self, *, max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, got {max_keys}")
        self._clock = clock
        self._buckets: _ExpiringMap[tuple[float, int]] = _ExpiringMap(max_keys)
        # key -> (attempts in a row, monotonic time before which the next one must wait)
        self._attempts: _ExpiringMap[tuple[int, float]] = _ExpiringMap(max_keys)

    @property
    def size(self) -> int:
        """Entries held across all tables (for tests and metrics)."""
        return len(self._buckets) + len(self._attempts)

    async def hit(self, key: str, limit: int, window_s: float, cost: int = 1) -> RateDecision:
        check_hit(limit, window_s, cost)
        now = self._clock()
        interval = window_s / limit
        base, used = self._buckets.get(key, now) or (now, 0)
        if base + used * interval <= now:  # drained: a new busy period starts now
            base, used = now, 0
        after = (base - now) + (used + cost) * interval
        allowed = fits(after, window_s)
        if allowed:
            self._buckets.set(key, (base, used + cost), now + after, now)
        return make_decision(allowed, limit, window_s, cost, after)

    async def reset(self, key: str) -> None:
        self._buckets.pop(key)

    async def attempt(self, keys: Sequence[tuple[str, int]], policy: Backoff) -> float:
        now = self._clock()
        states = [self._attempts.get(key, now) or (0, now) for key, _ in keys]
        wait = max((until - now for _, until in states), default=0.0)
        if wait > 0:
            return wait
        for (key, free), (count, _) in zip(keys, states, strict=True):
            until = now + policy.delay(count + 1, free)
            self._attempts.set(key, (count + 1, until), until + policy.decay_s, now)
        return 0.0

    async def uncount(self, key: str, policy: Backoff) -> None:
        now = self._clock()
        state = self._attempts.get(key, now)
        if state is not None:
            count, until = state
            self._attempts.set(key, (max(0, count - 1), until), until + policy.decay_s, now)

    async def clear(self, key: str) -> None:
        self._attempts.pop(key)

    async def aclose(self) -> None:
        return None
