"""A budget of failures per client address, for checks that cost something to fail.

Failures are counted in the rate limit store (shared through Redis), so every process
sees the same budget. Once an address is over it, the process that found out remembers
the wait and refuses that address from memory until the wait ends: a flood of bad
credentials then costs neither a store round trip nor a database lookup per request.
"""

import time
from collections.abc import Callable

from server.core.rate_limit.base import RateLimiter

_MAX_BLOCKED = 100_000


class FailureBudget:
    """`limit` failures per `window_s` per address (a GCRA bucket: a steady refill)."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        limit: int,
        window_s: float,
        scope: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limiter = limiter
        self._limit = limit
        self._window_s = window_s
        self._scope = scope
        self._clock = clock
        self._blocked: dict[str, float] = {}

    def blocked_for(self, address: str) -> float:
        """Seconds `address` must still wait, as this process knows it (0: not blocked)."""
        until = self._blocked.get(address)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._blocked[address]
            return 0.0
        return left

    async def record(self, address: str) -> float:
        """Count one failure; 0 while within the budget, else the seconds to wait.

        May raise `RateLimitUnavailable` (Redis store).
        """
        decision = await self._limiter.hit(f"{self._scope}:{address}", self._limit, self._window_s)
        if decision.allowed:
            return 0.0
        if len(self._blocked) >= _MAX_BLOCKED:
            self._blocked.clear()  # forgetting only costs a store round trip per address
        self._blocked[address] = self._clock() + decision.retry_after_s
        return decision.retry_after_s
