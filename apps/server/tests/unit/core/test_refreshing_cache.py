"""The credential cache: one load per crowd, refreshed before it expires, never stale after
an invalidation, and nothing kept while it may not be trusted."""

import asyncio

import pytest

from server.core.refreshing_cache import RefreshingCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts loads; each returns `value` once `gate` opens (open unless a test closes it)."""

    def __init__(self) -> None:
        self.calls = 0
        self.value = "v1"
        self.error: Exception | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, key: str) -> str:
        self.calls += 1
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return f"{key}:{self.value}"


def cache(loader: Loader, clock: Clock, trusted: bool = True) -> RefreshingCache[str, str]:
    return RefreshingCache(
        loader, ttl_s=10, refresh_ahead_s=2, trusted=lambda: trusted, clock=clock
    )


async def test_a_crowd_of_misses_shares_one_load() -> None:
    loader, clock = Loader(), Clock()
    values = cache(loader, clock)
    loader.gate.clear()
    crowd = [asyncio.ensure_future(values.get("k")) for _ in range(50)]
    await asyncio.sleep(0)
    loader.gate.set()
    assert set(await asyncio.gather(*crowd)) == {"k:v1"}
    assert loader.calls == 1
    assert await values.get("k") == "k:v1"
    assert loader.calls == 1  # now from memory


async def test_an_entry_near_its_end_is_served_and_reloaded_in_the_background() -> None:
    loader, clock = Loader(), Clock()
    values = cache(loader, clock)
    await values.get("k")
    loader.value, loader.gate = "v2", asyncio.Event()  # the reload will wait
    clock.now += 9  # one second left: inside the refresh window
    assert await values.get("k") == "k:v1"  # no wait for the reload
    assert await values.get("k") == "k:v1"
    await asyncio.sleep(0)  # the reload starts
    assert loader.calls == 2  # one reload, not one per caller
    loader.gate.set()
    await values.aclose()
    assert values.peek("k") == (True, "k:v2")


async def test_an_expired_entry_is_not_served() -> None:
    loader, clock = Loader(), Clock()
    values = cache(loader, clock)
    await values.get("k")
    clock.now += 10
    assert values.peek("k") == (False, None)
    loader.value = "v2"
    assert await values.get("k") == "k:v2"


async def test_who_asks_after_an_invalidation_never_gets_what_was_read_before() -> None:
    loader, clock = Loader(), Clock()
    values = cache(loader, clock)
    loader.gate.clear()
    before = asyncio.ensure_future(values.get("k"))
    await asyncio.sleep(0)
    values.invalidate()  # the load in flight may have read the old state
    loader.value = "v2"
    after = asyncio.ensure_future(values.get("k"))
    loader.gate.set()
    assert await after == "k:v2"
    await before
    assert loader.calls == 2
    assert values.peek("k") == (True, "k:v2")


async def test_invalidating_by_value_forgets_only_those_entries() -> None:
    values = cache(Loader(), Clock())
    await values.get("a")
    await values.get("b")
    values.invalidate(lambda key, value: value.startswith("a"))
    assert values.peek("a") == (False, None)
    assert values.peek("b") == (True, "b:v1")


async def test_nothing_is_kept_while_the_cache_may_not_be_trusted() -> None:
    loader = Loader()
    values = cache(loader, Clock(), trusted=False)
    await values.get("k")
    await values.get("k")
    assert loader.calls == 2
    assert values.peek("k") == (False, None)


async def test_a_failed_load_reaches_every_waiter_and_is_not_kept() -> None:
    loader = Loader()
    values = cache(loader, Clock())
    loader.error = ConnectionError("database down")
    results = await asyncio.gather(*(values.get("k") for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert loader.calls == 1
    loader.error = None
    assert await values.get("k") == "k:v1"


async def test_a_failed_background_reload_keeps_the_entry_until_it_expires() -> None:
    loader, clock = Loader(), Clock()
    values = cache(loader, clock)
    await values.get("k")
    loader.error = ConnectionError("database down")
    clock.now += 9
    assert await values.get("k") == "k:v1"
    await values.aclose()
    assert values.peek("k") == (True, "k:v1")
    clock.now += 1
    with pytest.raises(ConnectionError):
        await values.get("k")


async def test_a_cancelled_caller_does_not_cancel_the_shared_load() -> None:
    loader = Loader()
    values = cache(loader, Clock())
    loader.gate.clear()
    first = asyncio.ensure_future(values.get("k"))
    second = asyncio.ensure_future(values.get("k"))
    await asyncio.sleep(0)
    first.cancel()
    loader.gate.set()
    assert await second == "k:v1"
    assert loader.calls == 1
