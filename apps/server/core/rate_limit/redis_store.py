"""The shared store: Redis, so every API process counts against the same limits.

Each operation is one Lua script, so it is atomic without locks or transactions, and reads
the time from Redis (`TIME`) so API hosts with skewed clocks still agree. Every key has a
TTL that ends when its bucket is full again (or its failures or lock run out): nothing is
left behind. Any Redis or socket error becomes `RateLimitUnavailable`.
"""

import math

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from server.core.rate_limit.base import (
    RateDecision,
    RateLimitUnavailable,
    check_failure,
    check_hit,
    make_decision,
)

# GCRA, in microseconds. KEYS[1]: the bucket hash {base, used}. ARGV: limit, window, cost.
# Returns {allowed, after}: `after` is when the bucket drains had the hit counted.
# The tolerance matches base.fits(). Numbers are written with string.format because Lua's
# default conversion keeps only 14 digits.
_HIT = """
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = window / limit
local base, used = now, 0
local state = redis.call('HMGET', KEYS[1], 'base', 'used')
if state[1] and state[2] then
  base, used = tonumber(state[1]), tonumber(state[2])
  if base + used * interval <= now then base, used = now, 0 end
end
local after = (base - now) + (used + cost) * interval
if after > window * (1 + 1e-9) then
  return {0, string.format('%.3f', after)}
end
redis.call('HSET', KEYS[1], 'base', string.format('%.0f', base),
           'used', string.format('%.0f', used + cost))
redis.call('PEXPIRE', KEYS[1], math.ceil(after / 1000) + 1)
return {1, string.format('%.3f', after)}
"""

# KEYS[1]: list of failure times (µs, newest first), KEYS[2]: the lock.
# ARGV: max_failures, window (µs), lockout (ms). Returns the lock in force, in ms.
_FAILURE = """
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then return locked end
local max, window, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
redis.call('LPUSH', KEYS[1], string.format('%.0f', now))
redis.call('LTRIM', KEYS[1], 0, max - 1)
local recent = 0
for _, at in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if now - tonumber(at) < window then recent = recent + 1 end
end
if recent >= max then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', lockout)
  return lockout
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 0
"""


class RedisRateLimiter:
    """`RateLimiter` on Redis. Keys: `{prefix}:rate:`, `:fail:` and `:lock:` + the key."""

    def __init__(self, client: Redis, prefix: str, *, owns_client: bool = False) -> None:
        self._redis = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._hit_script = client.register_script(_HIT)
        self._failure_script = client.register_script(_FAILURE)

    @classmethod
    def from_url(cls, url: str, prefix: str, *, timeout_s: float = 0.5) -> "RedisRateLimiter":
        """A limiter with its own connection pool, closed by `aclose`.

        `timeout_s` bounds connecting and each reply, so a hung Redis costs a request at
        most about twice that before `RateLimitUnavailable`; one immediate retry covers a
        pooled connection that went stale when Redis restarted.
        """
        client = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), retries=1),
        )
        return cls(client, prefix, owns_client=True)

    def _key(self, kind: str, key: str) -> str:
        return f"{self._prefix}:{kind}:{key}"

    async def hit(self, key: str, limit: int, window_s: float, cost: int = 1) -> RateDecision:
        check_hit(limit, window_s, cost)
        window_us = max(1, round(window_s * 1_000_000))
        try:
            allowed, after_us = await self._hit_script(
                keys=[self._key("rate", key)], args=[limit, window_us, cost]
            )
        except (RedisError, OSError) as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
        return make_decision(bool(allowed), limit, window_s, cost, float(after_us) / 1e6)

    async def reset(self, key: str) -> None:
        await self._delete(self._key("rate", key))

    async def add_failure(
        self, key: str, *, max_failures: int, window_s: float, lockout_s: float
    ) -> float:
        check_failure(max_failures, window_s, lockout_s)
        args = [max_failures, max(1, round(window_s * 1e6)), max(1, math.ceil(lockout_s * 1e3))]
        try:
            locked_ms = await self._failure_script(
                keys=[self._key("fail", key), self._key("lock", key)], args=args
            )
        except (RedisError, OSError) as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
        return int(locked_ms) / 1000

    async def lock_remaining(self, key: str) -> float:
        try:
            ttl_ms = await self._redis.pttl(self._key("lock", key))
        except (RedisError, OSError) as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
        return max(0, int(ttl_ms)) / 1000  # -2: no lock (a lock always has a TTL)

    async def clear_failures(self, key: str) -> None:
        await self._delete(self._key("fail", key))

    async def unlock(self, key: str) -> None:
        await self._delete(self._key("fail", key), self._key("lock", key))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    async def _delete(self, *keys: str) -> None:
        try:
            await self._redis.delete(*keys)
        except (RedisError, OSError) as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
