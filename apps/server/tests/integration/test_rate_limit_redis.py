"""The Redis rate limiter and sign-in backoff against a real Redis (`APP_TEST_REDIS_URL`).

Redis keeps the time (`TIME`), so these use short windows and a few short real sleeps.
Each test works under a prefix of its own and deletes its keys afterwards.
"""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from server.core.rate_limit import (
    Backoff,
    LoginGuard,
    RateLimitUnavailable,
    RedisRateLimiter,
    build_rate_limiter,
)
from server.tests.support.worker import redis_test_url

requires_redis = pytest.mark.skipif(
    redis_test_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1",
    reason="APP_TEST_REDIS_URL unset",
)


@pytest.fixture
def prefix() -> str:
    return f"test-rate-limit:{uuid.uuid4().hex}"


@pytest.fixture
async def raw() -> AsyncIterator[Redis]:
    url = redis_test_url()
    assert url, "set APP_TEST_REDIS_URL (CI does)"
    client = Redis.from_url(url)
    yield client
    await client.aclose()


@pytest.fixture
async def limiter(raw: Redis, prefix: str) -> AsyncIterator[RedisRateLimiter]:
    url = redis_test_url()
    assert url
    built = build_rate_limiter(url, prefix)
    assert isinstance(built, RedisRateLimiter)
    yield built
    await built.aclose()
    keys = [key async for key in raw.scan_iter(match=f"{prefix}:*")]
    if keys:
        await raw.delete(*keys)


@requires_redis
async def test_the_hit_over_the_limit_is_refused_until_a_slot_frees(
    limiter: RedisRateLimiter,
) -> None:
    decisions = [await limiter.hit("k", limit=2, window_s=0.4) for _ in range(2)]
    assert [(d.allowed, d.remaining) for d in decisions] == [(True, 1), (True, 0)]
    assert decisions[1].reset_after_s == pytest.approx(0.4, abs=0.05)

    refused = await limiter.hit("k", limit=2, window_s=0.4)
    assert not refused.allowed
    assert refused.remaining == 0
    assert 0.1 < refused.retry_after_s <= 0.2  # one slot frees every 0.2 s
    assert refused.reset_after_s == pytest.approx(0.4, abs=0.05)

    # Refusals meanwhile take nothing: once the wait is over exactly one hit fits.
    for _ in range(20):
        assert not (await limiter.hit("k", limit=2, window_s=0.4)).allowed
    await asyncio.sleep(refused.retry_after_s + 0.02)
    assert (await limiter.hit("k", limit=2, window_s=0.4)).allowed
    assert not (await limiter.hit("k", limit=2, window_s=0.4)).allowed


@requires_redis
async def test_a_costly_hit_and_exactly_the_limit_with_awkward_fractions(
    limiter: RedisRateLimiter,
) -> None:
    allowed = [(await limiter.hit("frac", limit=7, window_s=30)).allowed for _ in range(8)]
    assert allowed == [True] * 7 + [False]

    assert (await limiter.hit("cost", limit=10, window_s=60, cost=8)).remaining == 2
    refused = await limiter.hit("cost", limit=10, window_s=60, cost=5)
    assert not refused.allowed
    assert refused.remaining == 2
    assert refused.retry_after_s == pytest.approx(18, abs=0.1)


@requires_redis
async def test_concurrent_hits_are_counted_atomically(limiter: RedisRateLimiter) -> None:
    decisions = await asyncio.gather(*(limiter.hit("k", limit=10, window_s=60) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))


@requires_redis
async def test_every_key_has_a_ttl_and_goes_away(
    limiter: RedisRateLimiter, raw: Redis, prefix: str
) -> None:
    await limiter.hit("k", limit=3, window_s=0.3)
    guard = LoginGuard(
        limiter,
        Backoff(base_s=0.1, max_s=0.1, decay_s=0.2),
        free_per_account_address=1,
        free_per_address=5,
    )
    assert await guard.admit("alice", "203.0.113.9") == 0

    keys = [key async for key in raw.scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 3
    assert f"{prefix}:rate:k".encode() in keys
    assert f"{prefix}:backoff:login:address:203.0.113.9".encode() in keys
    for key in keys:
        assert 0 < await raw.pttl(key) <= 301
    deadline = time.monotonic() + 2
    while [key async for key in raw.scan_iter(match=f"{prefix}:*")]:
        assert time.monotonic() < deadline, "keys outlived their TTL"
        await asyncio.sleep(0.05)


@requires_redis
async def test_reset_forgets_one_key(limiter: RedisRateLimiter) -> None:
    await limiter.hit("a", limit=1, window_s=60)
    await limiter.hit("b", limit=1, window_s=60)
    await limiter.reset("a")
    assert (await limiter.hit("a", limit=1, window_s=60)).allowed
    assert not (await limiter.hit("b", limit=1, window_s=60)).allowed


@requires_redis
async def test_failures_back_off_per_pair_and_per_address(limiter: RedisRateLimiter) -> None:
    guard = LoginGuard(
        limiter,
        Backoff(base_s=30, max_s=45, decay_s=60),
        free_per_account_address=2,
        free_per_address=4,
    )
    pair = [await guard.admit("alice", "203.0.113.9") for _ in range(3)]
    assert pair[:2] == [0, 0]
    assert 29 < pair[2] <= 30
    assert await guard.admit("alice", "198.51.100.7") == 0  # the owner, elsewhere
    assert await guard.admit("bob", "203.0.113.9") == 0
    assert await guard.admit("carol", "203.0.113.9") == 0  # the address's 4th: now slowed
    assert 29 < await guard.admit("dave", "203.0.113.9") <= 30


@requires_redis
async def test_concurrent_attempts_cannot_slip_past_the_count(limiter: RedisRateLimiter) -> None:
    guard = LoginGuard(
        limiter,
        Backoff(base_s=30, max_s=30, decay_s=60),
        free_per_account_address=3,
        free_per_address=100,
    )
    waits = await asyncio.gather(*(guard.admit("alice", "203.0.113.9") for _ in range(20)))
    assert sum(1 for wait in waits if wait == 0) == 3


@requires_redis
async def test_a_success_forgets_the_pair_and_takes_back_the_attempt(
    limiter: RedisRateLimiter,
) -> None:
    guard = LoginGuard(
        limiter,
        Backoff(base_s=30, max_s=30, decay_s=60),
        free_per_account_address=2,
        free_per_address=2,
    )
    assert await guard.admit("alice", "203.0.113.9") == 0
    await guard.succeeded("alice", "203.0.113.9")
    assert await guard.admit("alice", "203.0.113.9") == 0  # the address's count is 1 again
    assert await guard.admit("bob", "203.0.113.9") == 0  # its 2nd failure: the next waits
    assert 29 < await guard.admit("carol", "203.0.113.9") <= 30


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _every_operation_is_unavailable(limiter: RedisRateLimiter) -> None:
    guard = LoginGuard(
        limiter,
        Backoff(base_s=1, max_s=1, decay_s=1),
        free_per_account_address=1,
        free_per_address=1,
    )
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: limiter.hit("k", limit=1, window_s=1),
        lambda: limiter.reset("k"),
        lambda: guard.admit("alice", "203.0.113.9"),
        lambda: guard.succeeded("alice", "203.0.113.9"),
    ]
    for operation in operations:
        with pytest.raises(RateLimitUnavailable):
            await operation()


async def test_a_closed_port_raises_unavailable_fast() -> None:
    limiter = build_rate_limiter(f"redis://127.0.0.1:{_closed_port()}/13", "p")
    assert isinstance(limiter, RedisRateLimiter)
    started = time.monotonic()
    await _every_operation_is_unavailable(limiter)
    assert time.monotonic() - started < 2
    await limiter.aclose()


async def test_a_redis_that_never_answers_raises_unavailable_within_the_timeout() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # accept and never reply
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limiter = RedisRateLimiter.from_url(f"redis://127.0.0.1:{port}/13", "p", timeout_s=0.1)
    started = time.monotonic()
    with pytest.raises(RateLimitUnavailable):
        await limiter.hit("k", limit=1, window_s=1)
    assert time.monotonic() - started < 1
    await limiter.aclose()
    server.close()
    await server.wait_closed()
