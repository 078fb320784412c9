"""A Redis connection that the server closed under us, as uvloop reports it, is "Redis is
unreachable" to every caller that guards a Redis call (503), not an unhandled error (500).

Under uvloop, a write to a transport the peer has just closed raises `RuntimeError(...the
handler is closed)` instead of `ConnectionError`; redis-py passes it on. The connection
class below raises exactly that when it connects, as a pooled connection did while Redis
restarted under load in the chaos suite.
"""

import pytest
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection

from server.core.broadcast import RedisBroadcast
from server.core.rate_limit import Backoff, RateLimitUnavailable
from server.core.rate_limit.redis_store import RedisRateLimiter

CLOSED = (
    "unable to perform operation on <TCPTransport closed=True reading=False>; the handler is closed"
)


class ClosedTransport(Connection):
    async def connect(self) -> None:
        raise RuntimeError(CLOSED)


def closed_redis() -> Redis:
    return Redis(connection_pool=ConnectionPool(connection_class=ClosedTransport))


async def test_the_rate_limiter_answers_unavailable() -> None:
    limiter = RedisRateLimiter(closed_redis(), "test", owns_client=True)
    try:
        with pytest.raises(RateLimitUnavailable):
            await limiter.hit("user", 10, 60.0)
        with pytest.raises(RateLimitUnavailable):
            await limiter.attempt([("pair", 3)], Backoff(base_s=1, max_s=8, decay_s=60))
    finally:
        await limiter.aclose()


async def test_a_broadcast_still_reaches_this_process() -> None:
    bus = RedisBroadcast("redis://127.0.0.1:1/0", "test:plans")
    bus._publisher = closed_redis()
    heard: list[str] = []
    bus.subscribe(heard.append)
    try:
        await bus.publish("plan:changed")
    finally:
        await bus.aclose()
    assert heard == ["plan:changed"]
