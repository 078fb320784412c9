"""The Redis rate limiter and login guard against a real Redis (`APP_TEST_REDIS_URL`).

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
    guard = LoginGuard(limiter, max_failures=2, failure_window_s=0.3, lockout_s=0.3)
    await guard.record_failure("alice")
    assert await guard.record_failure("bob") == 0
    assert await guard.record_failure("bob") == pytest.approx(0.3)

    keys = [key async for key in raw.scan_iter(match=f"{prefix}:*")]
    assert sorted(keys) == sorted(
        [
            f"{prefix}:rate:k".encode(),
            f"{prefix}:fail:login:alice".encode(),
            f"{prefix}:lock:login:bob".encode(),
        ]
    )
    for key in keys:
        assert 0 < await raw.pttl(key) <= 301
    await asyncio.sleep(0.35)
    assert [key async for key in raw.scan_iter(match=f"{prefix}:*")] == []


@requires_redis
async def test_reset_forgets_one_key(limiter: RedisRateLimiter) -> None:
    await limiter.hit("a", limit=1, window_s=60)
    await limiter.hit("b", limit=1, window_s=60)
    await limiter.reset("a")
    assert (await limiter.hit("a", limit=1, window_s=60)).allowed
    assert not (await limiter.hit("b", limit=1, window_s=60)).allowed


@requires_redis
async def test_the_account_locks_and_the_lock_expires(limiter: RedisRateLimiter) -> None:
    guard = LoginGuard(limiter, max_failures=3, failure_window_s=60, lockout_s=0.3)
    assert [await guard.record_failure("alice") for _ in range(3)] == [0, 0, 0.3]
    assert 0.2 < await guard.locked_for("alice") <= 0.3
    assert await guard.locked_for("bob") == 0

    remaining = await guard.record_failure("alice")  # does not extend the lock
    assert 0 < remaining <= 0.3
    await asyncio.sleep(0.32)
    assert await guard.locked_for("alice") == 0
    assert await guard.record_failure("alice") == 0  # counting starts again


@requires_redis
async def test_success_clears_failures_and_old_failures_lapse(limiter: RedisRateLimiter) -> None:
    guard = LoginGuard(limiter, max_failures=2, failure_window_s=0.2, lockout_s=60)
    assert await guard.record_failure("alice") == 0
    await guard.record_success("alice")
    assert await guard.record_failure("alice") == 0
    await asyncio.sleep(0.25)  # the first failure left the window
    assert await guard.record_failure("alice") == 0
    assert await guard.record_failure("alice") == 60
    await guard.unlock("alice")
    assert await guard.locked_for("alice") == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _every_operation_is_unavailable(limiter: RedisRateLimiter) -> None:
    guard = LoginGuard(limiter, max_failures=3, failure_window_s=60, lockout_s=60)
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: limiter.hit("k", limit=1, window_s=1),
        lambda: limiter.reset("k"),
        lambda: guard.locked_for("alice"),
        lambda: guard.record_failure("alice"),
        lambda: guard.record_success("alice"),
        lambda: guard.unlock("alice"),
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
