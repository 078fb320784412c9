"""The rate limiter's contract: what a hit returns, the store protocol, shared arithmetic.

Algorithm: GCRA (the generic cell rate algorithm), i.e. a token bucket of `limit` tokens
refilled continuously at `limit / window_s` per second, stored as one "theoretical arrival
time" per key. Chosen over a sliding-window log (exact, but O(limit) memory per key: 1200
entries for a 1200/min user) and a sliding-window counter (O(1), but approximate and with an
awkward retry-after): GCRA is O(1) per key, needs one read and one write, gives an exact
`retry_after_s`, and a refused hit simply writes nothing, so it consumes no quota.
Its meaning: up to `limit` hits back to back, then a steady `limit` per `window_s`.

The state is kept as `base` (when the current busy period began) plus `used` (integer units
admitted since), so the arrival time is `base + used * window_s / limit` computed with one
rounding instead of accumulating a float error on every hit.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Float slack when comparing the bucket's fill to the window (relative to the window).
_TOLERANCE = 1e-9


class RateLimitUnavailable(Exception):  # noqa: N818 - the name says what the caller handles
    """The rate limit store could not be reached or did not answer in time.

    Raised by the Redis store instead of any Redis or socket error, never by the in-memory
    one. Nothing was counted. The caller decides: fail open (let the request through and log
    a warning) for general API quotas, fail closed (refuse) for login and lockout checks.
    """


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one `hit`."""

    allowed: bool
    limit: int
    remaining: int
    """Hits of cost 1 that would still be allowed right now (after this one, if allowed)."""
    retry_after_s: float
    """0 when allowed; otherwise seconds until the same hit would be allowed."""
    reset_after_s: float
    """Seconds until the bucket is full again (all `limit` hits available)."""


class RateLimiter(Protocol):
    """A rate limit and failure-backoff store: per process (memory) or shared (Redis).

    Keys are opaque strings chosen by the caller (e.g. `login:ip:203.0.113.9`); stores put
    them under their own prefix. Methods of the Redis store raise `RateLimitUnavailable`
    when Redis cannot be reached; they never raise a Redis error.
    """

    async def hit(self, key: str, limit: int, window_s: float, cost: int = 1) -> RateDecision:
        """Count `cost` units against `key` if `limit` per `window_s` allows it."""
        ...

    async def reset(self, key: str) -> None:
        """Forget what `key` has used: its next hit sees a full bucket."""
        ...

    async def attempt(self, keys: Sequence[tuple[str, int]], policy: "Backoff") -> float:
        """Admit one attempt against every `(key, free)` pair, or against none.

        Returns 0 when admitted: each key's attempt count went up by one (an attempt counts
        as a failure until `uncount` or `clear` says otherwise, so concurrent attempts cannot
        slip past the count) and the key's next attempt must wait `policy.delay(count,
        free)`. Otherwise returns the seconds until every key admits again; nothing counted.
        """
        ...

    async def uncount(self, key: str, policy: "Backoff") -> None:
        """Take back one attempt of `key` (it succeeded); the wait already set stays."""
        ...

    async def clear(self, key: str) -> None:
        """Forget `key`'s attempts and wait."""
        ...

    async def aclose(self) -> None:
        """Release connections (a no-op for the memory store)."""
        ...


def check_hit(limit: int, window_s: float, cost: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if not window_s > 0 or math.isinf(window_s):
        raise ValueError(f"window_s must be positive and finite, got {window_s}")
    if not 1 <= cost <= limit:
        raise ValueError(f"cost must be between 1 and limit ({limit}), got {cost}")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff on failed attempts: after `free` failures in a row, each further
    one doubles the wait before the next attempt, from `base_s` up to `max_s`. Failures are
    forgotten `decay_s` after the last wait ends."""

    base_s: float
    max_s: float
    decay_s: float

    def __post_init__(self) -> None:
        for name in ("base_s", "max_s", "decay_s"):
            value = getattr(self, name)
            if not value > 0 or math.isinf(value):
                raise ValueError(f"{name} must be positive and finite, got {value}")
        if self.max_s < self.base_s:
            raise ValueError("max_s must be at least base_s")

    def delay(self, count: int, free: int) -> float:
        """The wait after the `count`-th failure in a row when `free` are allowed."""
        if count < free:
            return 0.0
        return min(self.max_s, self.base_s * 2.0 ** min(count - free, 64))


def fits(after_s: float, window_s: float) -> bool:
    """Whether a bucket drained `after_s` from now still fits in the window."""
    return after_s <= window_s * (1 + _TOLERANCE)


def make_decision(
    allowed: bool, limit: int, window_s: float, cost: int, after_s: float
) -> RateDecision:
    """Build the decision from `after_s`: when the bucket would drain had the hit counted."""
    interval = window_s / limit
    if allowed:
        backlog, retry_after = after_s, 0.0
    else:
        backlog, retry_after = max(0.0, after_s - cost * interval), after_s - window_s
    # The small slack keeps a float like 2.9999999 from reporting one hit fewer.
    remaining = math.floor((window_s - backlog) / interval + 1e-6)
    return RateDecision(
        allowed=allowed,
        limit=limit,
        remaining=min(limit, max(0, remaining)),
        retry_after_s=max(0.0, retry_after),
        reset_after_s=max(0.0, backlog),
    )
