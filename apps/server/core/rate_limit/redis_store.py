"""The shared store: Redis, so every API process counts against the same limits.

Each operation is one Lua script, so it is atomic without locks or transactions, and reads
the time from Redis (`TIME`) so API hosts with skewed clocks still agree. Every key has a
TTL that ends when its bucket is full again (or its failures are forgotten): nothing is
left behind. Any Redis or socket error becomes `RateLimitUnavailable`.
"""

import math
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from server.core.rate_limit.base import (
    Backoff,
    RateDecision,
    RateLimitUnavailable,
    check_hit,
    make_decision,
)
from server.core.redis_errors import REDIS_UNREACHABLE

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

# KEYS: one hash {count, until} per key. ARGV: base (µs), max (µs), decay (ms), then the
# free failures of each key. Returns 0 when admitted (every key counted), else the µs to wait.
_ATTEMPT = """
local base, max, decay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local wait, counts = 0, {}
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'count', 'until')
  counts[i] = tonumber(state[1]) or 0
  local left = (tonumber(state[2]) or 0) - now
  if left > wait then wait = left end
end
if wait > 0 then return string.format('%.0f', wait) end
for i, key in ipairs(KEYS) do
  local count, free, delay = counts[i] + 1, tonumber(ARGV[3 + i]), 0
  if count >= free then delay = math.min(max, base * 2 ^ math.min(count - free, 64)) end
  redis.call('HSET', key, 'count', count, 'until', string.format('%.0f', now + delay))
  redis.call('PEXPIRE', key, math.ceil(delay / 1000) + decay)
end
return '0'
"""

_UNCOUNT = """
local count = tonumber(redis.call('HGET', KEYS[1], 'count'))
if count and count > 0 then redis.call('HINCRBY', KEYS[1], 'count', -1) end
return 0
"""


class RedisRateLimiter:
    """`RateLimiter` on Redis. Keys: `{prefix}:rate:` and `:backoff:` + the key."""

    def __init__(self, client: Redis, prefix: str, *, owns_client: bool = False) -> None:
        self._redis = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._hit_script = client.register_script(_HIT)
        self._attempt_script = client.register_script(_ATTEMPT)
        self._uncount_script = client.register_script(_UNCOUNT)

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
        except REDIS_UNREACHABLE as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
        return make_decision(bool(allowed), limit, window_s, cost, float(after_us) / 1e6)

    async def reset(self, key: str) -> None:
        await self._delete(self._key("rate", key))

    async def attempt(self, keys: Sequence[tuple[str, int]], policy: Backoff) -> float:
        args = [
            max(1, round(policy.base_s * 1e6)),
            max(1, round(policy.max_s * 1e6)),
            max(1, math.ceil(policy.decay_s * 1e3)),
            *(free for _, free in keys),
        ]
        try:
            wait_us = await self._attempt_script(
                keys=[self._key("backoff", key) for key, _ in keys], args=args
            )
        except REDIS_UNREACHABLE as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
        return float(wait_us) / 1e6

    async def uncount(self, key: str, policy: Backoff) -> None:
        try:
            await self._uncount_script(keys=[self._key("backoff", key)], args=[])
        except REDIS_UNREACHABLE as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc

    async def clear(self, key: str) -> None:
        await self._delete(self._key("backoff", key))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    async def _delete(self, *keys: str) -> None:
        try:
            await self._redis.delete(*keys)
        except REDIS_UNREACHABLE as exc:
            raise RateLimitUnavailable("rate limit store unreachable") from exc
