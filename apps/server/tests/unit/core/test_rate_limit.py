"""The in-memory rate limiter and login guard, on a hand-driven clock."""

import math

import pytest

from server.core.rate_limit import (
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


# Login lockout


@pytest.fixture
def guard(limiter: MemoryRateLimiter) -> LoginGuard:
    return LoginGuard(limiter, max_failures=3, failure_window_s=60, lockout_s=300)


async def test_the_account_locks_on_the_nth_failure(guard: LoginGuard, clock: FakeClock) -> None:
    assert await guard.record_failure("alice") == 0
    clock.advance(10)
    assert await guard.record_failure("alice") == 0
    assert await guard.locked_for("alice") == 0
    clock.advance(10)
    assert await guard.record_failure("alice") == 300
    clock.advance(100)
    assert await guard.locked_for("alice") == pytest.approx(200)
    assert await guard.locked_for("bob") == 0


async def test_the_lock_expires_and_counting_starts_again(
    guard: LoginGuard, clock: FakeClock
) -> None:
    for _ in range(3):
        await guard.record_failure("alice")
    clock.advance(300)
    assert await guard.locked_for("alice") == 0
    assert await guard.record_failure("alice") == 0  # the old failures did not carry over


async def test_failures_outside_the_window_do_not_count(
    guard: LoginGuard, clock: FakeClock
) -> None:
    for _ in range(5):
        assert await guard.record_failure("alice") == 0
        clock.advance(30)  # never three within 60 s


async def test_failures_while_locked_do_not_extend_the_lock(
    guard: LoginGuard, clock: FakeClock
) -> None:
    for _ in range(3):
        await guard.record_failure("alice")
    clock.advance(250)
    assert await guard.record_failure("alice") == pytest.approx(50)
    clock.advance(50)
    assert await guard.locked_for("alice") == 0


async def test_a_success_clears_the_failures(guard: LoginGuard) -> None:
    await guard.record_failure("alice")
    await guard.record_failure("alice")
    await guard.record_success("alice")
    assert await guard.record_failure("alice") == 0
    assert await guard.record_failure("alice") == 0
    assert await guard.record_failure("alice") == 300


async def test_unlock_lifts_the_lock(guard: LoginGuard) -> None:
    for _ in range(3):
        await guard.record_failure("alice")
    await guard.unlock("alice")
    assert await guard.locked_for("alice") == 0
    assert await guard.record_failure("alice") == 0


async def test_guard_keys_do_not_collide_with_rate_keys(
    guard: LoginGuard, limiter: MemoryRateLimiter
) -> None:
    for _ in range(3):
        await guard.record_failure("alice")
    await limiter.reset("login:alice")
    assert await guard.locked_for("alice") == 300


async def test_the_lockout_tables_are_bounded_too(clock: FakeClock) -> None:
    limiter = MemoryRateLimiter(max_keys=10, clock=clock)
    guard = LoginGuard(limiter, max_failures=1, failure_window_s=60, lockout_s=60)
    other = LoginGuard(limiter, max_failures=5, failure_window_s=60, lockout_s=60, scope="x")
    for i in range(100):
        await guard.record_failure(f"user-{i}")
        await other.record_failure(f"user-{i}")
    assert limiter.size == 20


def test_nonsense_lockout_settings_are_refused(limiter: MemoryRateLimiter) -> None:
    with pytest.raises(ValueError, match="max_failures"):
        LoginGuard(limiter, max_failures=0, failure_window_s=60, lockout_s=60)
    with pytest.raises(ValueError, match="lockout_s"):
        LoginGuard(limiter, max_failures=1, failure_window_s=60, lockout_s=0)
