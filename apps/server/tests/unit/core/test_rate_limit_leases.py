"""Leased quotas: fewer round trips, never more than the limit, the last hits exact."""

import asyncio

from server.core.rate_limit import LeasedQuota, MemoryRateLimiter, RateDecision


class CountingLimiter(MemoryRateLimiter):
    def __init__(self) -> None:
        super().__init__(clock=lambda: 0.0)  # time stands still: no refill during a test
        self.calls = 0

    async def hit(self, key: str, limit: int, window_s: float, cost: int = 1) -> RateDecision:
        self.calls += 1
        return await super().hit(key, limit, window_s, cost)


async def test_one_round_trip_per_lease() -> None:
    inner = CountingLimiter()
    quota = LeasedQuota(inner, lease=10)
    decisions = [await quota.hit("user:a", 1000, 60) for _ in range(50)]
    assert all(d.allowed for d in decisions)
    assert inner.calls == 5


async def test_processes_sharing_a_store_never_exceed_the_limit_together() -> None:
    inner = CountingLimiter()
    processes = [LeasedQuota(inner, lease=10) for _ in range(3)]
    allowed = 0
    for turn in range(100):
        allowed += (await processes[turn % 3].hit("user:b", 25, 60)).allowed
    assert allowed <= 25
    assert allowed >= 25 - 3 * (10 - 1)  # at most lease - 1 held back per process


async def test_one_process_gets_exactly_its_limit() -> None:
    quota = LeasedQuota(CountingLimiter(), lease=10)
    decisions = [await quota.hit("user:c", 25, 60) for _ in range(30)]
    assert [d.allowed for d in decisions] == [True] * 25 + [False] * 5
    assert decisions[-1].retry_after_s > 0


class SlowLimiter(CountingLimiter):
    """A store one event-loop turn away, like Redis: concurrent callers overlap."""

    async def hit(self, key: str, limit: int, window_s: float, cost: int = 1) -> RateDecision:
        await asyncio.sleep(0)
        return await super().hit(key, limit, window_s, cost)


async def test_a_crowd_that_empties_the_lease_refills_it_once_per_lease() -> None:
    # 64 concurrent requests used to find the lease empty together and each took a new one
    # from the store: one round trip per request, and leases overwritten (quota wasted).
    inner = SlowLimiter()
    quota = LeasedQuota(inner, lease=10)
    decisions = await asyncio.gather(*(quota.hit("user:d", 1000, 60) for _ in range(64)))
    assert all(d.allowed for d in decisions)
    assert inner.calls == 7  # ceil(64 / 10)
    probe = await MemoryRateLimiter.hit(inner, "user:d", 1000, 60)
    assert probe.remaining == 1000 - 71  # 7 leases of 10 and the probe: none taken twice


async def test_a_crowd_never_gets_more_than_the_limit() -> None:
    quota = LeasedQuota(SlowLimiter(), lease=10)
    decisions = await asyncio.gather(*(quota.hit("user:e", 25, 60) for _ in range(40)))
    assert sum(d.allowed for d in decisions) == 25
