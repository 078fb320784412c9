"""The in-memory rate limiter and sign-in backoff, on a hand-driven clock."""

import math

import pytest

from server.core.rate_limit import (
    Backoff,
    LoginGuard,
    MemoryRateLimiter,
    RateDecision,
    build_rate_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> MemoryRateLimiter:
    return MemoryRateLimiter(clock=clock)


async def test_hits_up_to_the_limit_are_allowed_with_a_countdown(
    limiter: MemoryRateLimiter,
) -> None:
    decisions = [await limiter.hit("k", limit=3, window_s=60) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.retry_after_s == 0 for d in decisions)
    assert decisions[0].reset_after_s == pytest.approx(20)
    assert decisions[-1] == RateDecision(
        allowed=True, limit=3, remaining=0, retry_after_s=0.0, reset_after_s=60.0
    )


async def test_the_hit_over_the_limit_is_refused_with_the_time_to_wait(
    limiter: MemoryRateLimiter, clock: FakeClock
) -> None:
    for _ in range(3):
        await limiter.hit("k", limit=3, window_s=60)
    clock.advance(5)
    refused = await limiter.hit("k", limit=3, window_s=60)
    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after_s == pytest.approx(15)  # one slot frees every 20 s
    assert refused.reset_after_s == pytest.approx(55)

    clock.advance(15 - 1e-3)
    assert not (await limiter.hit("k", limit=3, window_s=60)).allowed
    clock.advance(2e-3)
    assert (await limiter.hit("k", limit=3, window_s=60)).allowed


async def test_the_window_slides_rather_than_resetting_at_once(
    limiter: MemoryRateLimiter, clock: FakeClock
) -> None:
    for _ in range(10):
        assert (await limiter.hit("k", limit=10, window_s=10)).allowed
    clock.advance(3)  # three of ten slots have come back, not all of them
    allowed = [(await limiter.hit("k", limit=10, window_s=10)).allowed for _ in range(4)]
    assert allowed == [True, True, True, False]
    clock.advance(10)
    decision = await limiter.hit("k", limit=10, window_s=10)
    assert decision.allowed
    assert decision.remaining == 9


async def test_refused_hits_do_not_consume_quota(
    limiter: MemoryRateLimiter, clock: FakeClock
) -> None:
    for _ in range(2):
        await limiter.hit("k", limit=2, window_s=10)
    for _ in range(50):
        assert not (await limiter.hit("k", limit=2, window_s=10)).allowed
    clock.advance(5)  # exactly one slot back, however often it was refused meanwhile
    assert (await limiter.hit("k", limit=2, window_s=10)).allowed
    assert not (await limiter.hit("k", limit=2, window_s=10)).allowed


async def test_a_costly_hit_needs_that_many_slots(
    limiter: MemoryRateLimiter, clock: FakeClock
) -> None:
    assert (await limiter.hit("k", limit=10, window_s=10, cost=8)).remaining == 2
    refused = await limiter.hit("k", limit=10, window_s=10, cost=5)
    assert not refused.allowed
    assert refused.remaining == 2
    assert refused.retry_after_s == pytest.approx(3)
    clock.advance(3)
    assert (await limiter.hit("k", limit=10, window_s=10, cost=5)).allowed


async def test_keys_are_counted_apart_and_reset_forgets_one(
    limiter: MemoryRateLimiter,
) -> None:
    await limiter.hit("a", limit=1, window_s=60)
    assert not (await limiter.hit("a", limit=1, window_s=60)).allowed
    assert (await limiter.hit("b", limit=1, window_s=60)).allowed
    await limiter.reset("a")
    assert (await limiter.hit("a", limit=1, window_s=60)).allowed


async def test_awkward_fractions_still_allow_exactly_the_limit(
    limiter: MemoryRateLimiter, clock: FakeClock
) -> None:
    # 7 per 0.3 s: the interval is not a round float; no rounding may cost a hit.
    for _ in range(3):
        allowed = [(await limiter.hit("k", limit=7, window_s=0.3)).allowed for _ in range(8)]
        assert allowed == [True] * 7 + [False]
        clock.advance(0.3)


@pytest.mark.parametrize(
    ("limit", "window_s", "cost"),
    [(0, 1, 1), (1, 0, 1), (1, -1, 1), (1, math.inf, 1), (1, math.nan, 1), (2, 1, 0), (2, 1, 3)],
)
async def test_nonsense_arguments_are_refused(
    limiter: MemoryRateLimiter, limit: int, window_s: float, cost: int
) -> None:
    with pytest.raises(ValueError, match="must be"):
        await limiter.hit("k", limit=limit, window_s=window_s, cost=cost)


async def test_entries_expire_and_memory_stays_bounded(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(max_keys=100, clock=clock)
    for i in range(1000):
        await limiter.hit(f"client-{i}", limit=5, window_s=10)
    assert limiter.size == 100
    # The most recent keys survive with their counts; the oldest were forgiven.
    assert (await limiter.hit("client-999", limit=5, window_s=10)).remaining == 3
    assert (await limiter.hit("client-0", limit=5, window_s=10)).remaining == 4

    clock.advance(11)  # everything has drained: writes sweep the expired entries away
    for i in range(20):
        await limiter.hit(f"later-{i}", limit=5, window_s=10)
    assert limiter.size < 100


async def test_a_recently_used_key_outlives_idle_ones(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(max_keys=3, clock=clock)
    await limiter.hit("busy", limit=1, window_s=60)
    await limiter.hit("idle-1", limit=1, window_s=60)
    await limiter.hit("idle-2", limit=1, window_s=60)
    assert not (await limiter.hit("busy", limit=1, window_s=60)).allowed  # touched
    await limiter.hit("new", limit=1, window_s=60)  # evicts idle-1, not busy
    assert not (await limiter.hit("busy", limit=1, window_s=60)).allowed
    assert (await limiter.hit("idle-1", limit=1, window_s=60)).allowed


async def test_a_window_below_the_clock_resolution_does_not_break_the_store(
    limiter: MemoryRateLimiter,
) -> None:
    for _ in range(3):
        assert (await limiter.hit("k", limit=1, window_s=1e-14)).allowed
    assert limiter.size == 0


def test_the_factory_picks_memory_without_a_url() -> None:
    assert isinstance(build_rate_limiter(None, "p"), MemoryRateLimiter)
    assert isinstance(build_rate_limiter("", "p"), MemoryRateLimiter)


async def test_closing_the_memory_store_is_harmless(limiter: MemoryRateLimiter) -> None:
    await limiter.aclose()
    assert (await limiter.hit("k", limit=1, window_s=1)).allowed


def test_a_nonpositive_key_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        MemoryRateLimiter(max_keys=0)


# Sign-in backoff

POLICY = Backoff(base_s=10, max_s=100, decay_s=600)


@pytest.fixture
def guard(limiter: MemoryRateLimiter) -> LoginGuard:
    return LoginGuard(limiter, POLICY, free_per_account_address=2, free_per_address=5)


def test_the_wait_doubles_after_the_free_failures_up_to_the_cap() -> None:
    assert [POLICY.delay(count, free=2) for count in range(1, 8)] == [0, 10, 20, 40, 80, 100, 100]
    assert POLICY.delay(10_000, free=1) == 100  # no overflow however long it goes on


async def test_failures_slow_down_the_pair_progressively(
    guard: LoginGuard, clock: FakeClock
) -> None:
    assert await guard.admit("alice", "203.0.113.9") == 0
    assert await guard.admit("alice", "203.0.113.9") == 0  # two free, back to back
    assert await guard.admit("alice", "203.0.113.9") == pytest.approx(10)
    clock.advance(10)
    assert await guard.admit("alice", "203.0.113.9") == 0
    assert await guard.admit("alice", "203.0.113.9") == pytest.approx(20)
    clock.advance(5)  # a refused attempt is not counted and does not extend the wait
    assert await guard.admit("alice", "203.0.113.9") == pytest.approx(15)


async def test_another_address_is_not_slowed_by_someone_elses_failures(
    guard: LoginGuard,
) -> None:
    for _ in range(2):
        await guard.admit("alice", "203.0.113.9")
    assert await guard.admit("alice", "203.0.113.9") > 0
    assert await guard.admit("alice", "198.51.100.7") == 0  # the owner, elsewhere
    assert await guard.admit("bob", "203.0.113.9") == 0  # another account, same address


async def test_one_address_failing_on_many_accounts_is_slowed_too(guard: LoginGuard) -> None:
    waits = [await guard.admit(f"user-{i}", "203.0.113.9") for i in range(6)]
    assert waits == [0, 0, 0, 0, 0, pytest.approx(10)]


async def test_a_success_forgets_the_pairs_failures(guard: LoginGuard, clock: FakeClock) -> None:
    await guard.admit("alice", "203.0.113.9")
    await guard.succeeded("alice", "203.0.113.9")
    assert await guard.admit("alice", "203.0.113.9") == 0
    assert await guard.admit("alice", "203.0.113.9") == 0  # still two free


async def test_failures_are_forgotten_after_a_quiet_spell(
    guard: LoginGuard, clock: FakeClock
) -> None:
    for _ in range(2):
        await guard.admit("alice", "203.0.113.9")
    clock.advance(10 + 600)
    assert await guard.admit("alice", "203.0.113.9") == 0
    assert await guard.admit("alice", "203.0.113.9") == 0


async def test_the_backoff_table_is_bounded(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(max_keys=10, clock=clock)
    guard = LoginGuard(limiter, POLICY, free_per_account_address=1, free_per_address=1)
    for i in range(100):
        await guard.admit(f"user-{i}", f"10.0.0.{i}")
    assert limiter.size == 10


def test_nonsense_backoff_settings_are_refused(limiter: MemoryRateLimiter) -> None:
    with pytest.raises(ValueError, match="free"):
        LoginGuard(limiter, POLICY, free_per_account_address=0, free_per_address=1)
    with pytest.raises(ValueError, match="base_s"):
        Backoff(base_s=0, max_s=1, decay_s=1)
    with pytest.raises(ValueError, match="max_s"):
        Backoff(base_s=2, max_s=1, decay_s=1)
