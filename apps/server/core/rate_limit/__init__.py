"""Rate limits and sign-in backoff, shared through Redis or kept per process.

    limiter = build_rate_limiter(settings.redis_url, prefix="triage:rl")
    decision = await limiter.hit(f"user:{user_id}", limit=1200, window_s=60)
    guard = LoginGuard(limiter, Backoff(base_s=1, max_s=900, decay_s=86_400),
                       free_per_account_address=3, free_per_address=20)
    ...
    await limiter.aclose()  # at shutdown

With Redis, every method may raise `RateLimitUnavailable` (Redis down or too slow); the
caller chooses to fail open (API quotas) or closed (login). See `base` for the algorithm.
"""

from server.core.rate_limit.base import Backoff, RateDecision, RateLimiter, RateLimitUnavailable
from server.core.rate_limit.failures import FailureBudget
from server.core.rate_limit.leases import LeasedQuota
from server.core.rate_limit.login_guard import LoginGuard
from server.core.rate_limit.memory import MemoryRateLimiter
from server.core.rate_limit.redis_store import RedisRateLimiter

__all__ = [
    "Backoff",
    "FailureBudget",
    "LeasedQuota",
    "LoginGuard",
    "MemoryRateLimiter",
    "RateDecision",
    "RateLimitUnavailable",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
]


def build_rate_limiter(redis_url: str | None, prefix: str) -> RateLimiter:
    """Redis when a URL is given (shared by all processes), else this process's memory.

    Connects lazily: an unreachable Redis shows up as `RateLimitUnavailable` on first use.
    """
    if redis_url:
        return RedisRateLimiter.from_url(redis_url, prefix)
    return MemoryRateLimiter()
