"""Canary routing is sticky per key and splits traffic as weighted; shadow samples champions."""

import asyncio

import pytest

from server.core.broadcast import MemoryBroadcast
from server.services import registry, traffic
from server.services.traffic import ServedVersion, ServingPlan, bucket_of

CHAMPION = ServedVersion(1, "a" * 64)
CHALLENGER = ServedVersion(2, "b" * 64)


def plan(
    weight: int, shadow: float = 0.0, challenger: ServedVersion | None = CHALLENGER
) -> ServingPlan:
    return ServingPlan("m", CHAMPION, challenger, weight, shadow)


@pytest.mark.parametrize("weight", [0, 5, 30, 50, 90, 100])
def test_the_challenger_share_follows_its_weight_within_two_points(weight: int) -> None:
    keys = [f"user-{i}" for i in range(10_000)]
    share = sum(plan(weight).route(key) == CHALLENGER for key in keys) / len(keys)
    assert abs(share * 100 - weight) <= 2


def test_the_same_key_always_meets_the_same_version() -> None:
    policy = plan(50)
    for i in range(1_000):
        key = f"user-{i}"
        assert len({policy.route(key) for _ in range(5)}) == 1
        assert bucket_of(key) == bucket_of(key)


def test_raising_the_weight_only_moves_keys_to_the_challenger() -> None:
    keys = [f"user-{i}" for i in range(2_000)]
    before = {k for k in keys if plan(20).route(k) == CHALLENGER}
    after = {k for k in keys if plan(40).route(k) == CHALLENGER}
    assert before < after


def test_without_a_challenger_everything_goes_to_the_champion() -> None:
    assert plan(100, challenger=None).route("anyone") == CHAMPION
    assert ServingPlan("m", None, None, 0, 0.0).route("anyone") is None


def test_shadow_samples_only_champion_traffic() -> None:
    policy = plan(0, shadow=0.25)
    assert policy.shadow_for(CHAMPION, draw=0.1) == CHALLENGER
    assert policy.shadow_for(CHAMPION, draw=0.3) is None
    assert policy.shadow_for(CHALLENGER, draw=0.0) is None
    assert plan(0, shadow=1.0, challenger=None).shadow_for(CHAMPION, draw=0.0) is None


async def test_a_stale_plan_is_refreshed_once_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads: list[int] = []
    release = asyncio.Event()

    async def load(_database: object, model_name: str) -> ServingPlan:
        loads.append(1)
        if len(loads) > 1:
            await release.wait()  # a slow refresh: requests must not wait for it
        return ServingPlan(model_name, ServedVersion(len(loads), "s"), None, 0, 0.0)

    monkeypatch.setattr(traffic, "load_plan", load)
    cache = traffic.PlanCache(None, "m", 0.0, MemoryBroadcast())  # type: ignore[arg-type]
    first = await cache.get()
    stale = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert all(plan is first for plan in stale)  # served the plan it had, at once
    assert len(loads) == 2  # one background refresh, not fifty
    release.set()
    await cache.aclose()
    assert (await cache.get()).champion == ServedVersion(2, "s")


class CountingLoads:
    """`load_plan` stand-in: each load serves the next version, so reloads are visible."""

    def __init__(self) -> None:
        self.count = 0
        self.hold: asyncio.Event | None = None

    async def __call__(self, _database: object, model_name: str) -> ServingPlan:
        self.count += 1
        version = self.count
        if self.hold is not None:
            await self.hold.wait()
        return ServingPlan(model_name, ServedVersion(version, "s"), None, 0, 0.0)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> CountingLoads:
    counting = CountingLoads()
    monkeypatch.setattr(traffic, "load_plan", counting)
    return counting


async def test_an_announced_change_reloads_the_plan_at_once_despite_a_long_ttl(
    loads: CountingLoads,
) -> None:
    bus = MemoryBroadcast()
    cache = traffic.PlanCache(None, "m", 3600.0, bus)  # type: ignore[arg-type]
    assert (await cache.get()).champion == ServedVersion(1, "s")
    await bus.publish("another-model")
    assert (await cache.get()).champion == ServedVersion(1, "s")
    await cache.announce_change("m")
    assert (await cache.get()).champion == ServedVersion(2, "s")
    await bus.publish("*")  # what a bus sends after (re)subscribing
    assert (await cache.get()).champion == ServedVersion(3, "s")


async def test_a_reload_begun_before_a_change_does_not_keep_the_old_plan(
    loads: CountingLoads,
) -> None:
    cache = traffic.PlanCache(None, "m", 0.0, MemoryBroadcast())  # type: ignore[arg-type]
    await cache.get()
    loads.hold = asyncio.Event()
    await cache.get()  # stale (TTL 0): a background reload starts and waits
    await asyncio.sleep(0)
    assert loads.count == 2
    cache.invalidate()  # a promotion lands while that reload reads the old aliases
    loads.hold.set()
    plan = await cache.get()
    assert plan.champion == ServedVersion(3, "s")  # read after the change, not before
    await cache.aclose()


async def test_promote_and_rollback_announce_the_change(
    loads: CountingLoads, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def set_alias(*_: object, **__: object) -> int:
        return 1

    async def rollback_alias(*_: object, **__: object) -> tuple[int, int]:
        return 2, 1

    monkeypatch.setattr(registry, "set_alias", set_alias)
    monkeypatch.setattr(registry, "rollback_alias", rollback_alias)
    heard: list[str] = []
    bus = MemoryBroadcast()
    bus.subscribe(heard.append)
    cache = traffic.PlanCache(None, "m", 3600.0, bus)  # type: ignore[arg-type]
    await cache.get()
    await traffic.move_alias(None, cache, "m", "champion", 2, actor="a", reason="r")  # type: ignore[arg-type]
    assert (await cache.get()).champion == ServedVersion(2, "s")
    await traffic.roll_back_alias(None, cache, "m", "champion", actor="a", reason="r")  # type: ignore[arg-type]
    assert (await cache.get()).champion == ServedVersion(3, "s")
    assert heard == ["m", "m"]
