"""Slowing down password guessing without letting anyone lock someone else out.

Failures are counted per (account, client address) and per client address, never per
account alone: an attacker's failures slow down the attacker's own address, so the owner
signing in from an address with no failures is always let through. After the free
failures each further one doubles the wait before the next attempt (capped), which keeps
guessing from one address slow while a typo costs a legitimate user nothing.
"""

import hashlib

from server.core.rate_limit.base import Backoff, RateLimiter


class LoginGuard:
    """Exponential backoff on failed sign-ins, on either rate limit store.

    Give it a normalized account identifier (e.g. the case-folded e-mail), so spellings of
    one account share one counter. On the Redis store every method may raise
    `RateLimitUnavailable`; sign-in should then fail closed.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        policy: Backoff,
        *,
        free_per_account_address: int,
        free_per_address: int,
        scope: str = "login",
    ) -> None:
        if free_per_account_address < 1 or free_per_address < 1:
            raise ValueError("at least one free failure is needed, or nobody could sign in")
        self._limiter = limiter
        self._policy = policy
        self._free_pair = free_per_account_address
        self._free_address = free_per_address
        self._scope = scope

    def _pair_key(self, account: str, address: str) -> str:
        # A digest: the e-mail is attacker-chosen text of any length, kept out of the store.
        digest = hashlib.sha256(f"{account}\n{address}".encode()).hexdigest()[:32]
        return f"{self._scope}:pair:{digest}"

    def _address_key(self, address: str) -> str:
        return f"{self._scope}:address:{address[:64]}"

    async def admit(self, account: str, address: str) -> float:
        """0 to go ahead with checking the password, else the seconds to wait.

        An admitted attempt counts as a failure until `succeeded`, so concurrent attempts
        cannot all pass before any failure is recorded.
        """
        keys = [
            (self._pair_key(account, address), self._free_pair),
            (self._address_key(address), self._free_address),
        ]
        return await self._limiter.attempt(keys, self._policy)

    async def succeeded(self, account: str, address: str) -> None:
        """The password was right: forget the pair's failures, take back the attempt."""
        await self._limiter.clear(self._pair_key(account, address))
        await self._limiter.uncount(self._address_key(address), self._policy)
