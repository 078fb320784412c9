"""Account lockout after repeated failed logins, on either rate limit store."""

from server.core.rate_limit.base import RateLimiter, check_failure


class LoginGuard:
    """Locks an account for `lockout_s` after `max_failures` failed logins within
    `failure_window_s`.

    Give it a normalized account identifier (e.g. the case-folded e-mail), so spellings of
    one account share one counter. On the Redis store every method may raise
    `RateLimitUnavailable`; login should then fail closed.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        max_failures: int,
        failure_window_s: float,
        lockout_s: float,
        scope: str = "login",
    ) -> None:
        check_failure(max_failures, failure_window_s, lockout_s)
        self._limiter = limiter
        self._max_failures = max_failures
        self._failure_window_s = failure_window_s
        self._lockout_s = lockout_s
        self._scope = scope

    def _key(self, account: str) -> str:
        return f"{self._scope}:{account}"

    async def locked_for(self, account: str) -> float:
        """Seconds the account stays locked; 0 when it is not locked."""
        return await self._limiter.lock_remaining(self._key(account))

    async def record_failure(self, account: str) -> float:
        """Count a failed login; returns the seconds of lock now in force (0: not locked).

        While locked, failures are neither counted nor extend the lock, so an attacker
        cannot keep an account locked beyond `lockout_s` after their last lockout.
        """
        return await self._limiter.add_failure(
            self._key(account),
            max_failures=self._max_failures,
            window_s=self._failure_window_s,
            lockout_s=self._lockout_s,
        )

    async def record_success(self, account: str) -> None:
        """Forget the account's failures after a successful login."""
        await self._limiter.clear_failures(self._key(account))

    async def unlock(self, account: str) -> None:
        """Lift a lock early (an administrator's action) and forget the failures."""
        await self._limiter.unlock(self._key(account))
