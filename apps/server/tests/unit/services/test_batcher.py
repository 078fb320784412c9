"""MicroBatcher: grouping, flushing, ordering, failures, cancellation, back-pressure, close.

Timing-free where possible: a huge window proves a flush by size, gates (events) hold
dispatches, and every await is bounded so a bug fails fast instead of hanging.
"""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from server.services.predictions.batcher import (
    BatcherClosedError,
    BatchResultMismatchError,
    MicroBatcher,
)

LONG = 60.0  # a window no test waits for: a flush before it is a flush by size or by close
GUARD = 5.0  # upper bound on every await; far above what a passing test needs


class Recorder:
    """A dispatch that labels each item with its key and records the batches it saw."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.gate = gate
        self.running = 0
        self.max_running = 0

    async def __call__(self, key: str, items: list[int]) -> list[str]:
        self.batches.append((key, list(items)))
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.gate is not None:
                await self.gate.wait()
            return [f"{key}:{item}" for item in items]
        finally:
            self.running -= 1


def batcher(
    dispatch: Callable[[str, list[int]], Awaitable[list[str]]],
    *,
    max_items: int = 4,
    window_s: float = 0.005,
    max_in_flight: int = 4,
    on_batch: Callable[[str, int, float, float], None] | None = None,
) -> MicroBatcher[str, int, str]:
    return MicroBatcher(
        dispatch,
        max_items=max_items,
        window_s=window_s,
        max_in_flight=max_in_flight,
        on_batch=on_batch,
    )


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop turn until `condition` holds; fail after many turns instead of hanging."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_flush_by_size_does_not_wait_for_the_window() -> None:
    dispatch = Recorder()
    micro = batcher(dispatch, max_items=4, window_s=LONG)
    async with asyncio.timeout(GUARD):
        first, second = await asyncio.gather(micro.submit("v1", [1, 2]), micro.submit("v1", [3, 4]))
    assert first == ["v1:1", "v1:2"]
    assert second == ["v1:3", "v1:4"]
    assert dispatch.batches == [("v1", [1, 2, 3, 4])]


async def test_lone_request_is_flushed_by_the_window() -> None:
    dispatch = Recorder()
    micro = batcher(dispatch, max_items=64, window_s=0.01)
    async with asyncio.timeout(GUARD):
        assert await micro.submit("v1", [7]) == ["v1:7"]
    assert dispatch.batches == [("v1", [7])]


async def test_requests_within_one_window_share_a_batch() -> None:
    dispatch = Recorder()
    micro = batcher(dispatch, max_items=64, window_s=0.05)
    async with asyncio.timeout(GUARD):
        results = await asyncio.gather(*(micro.submit("v1", [n]) for n in range(5)))
    assert results == [[f"v1:{n}"] for n in range(5)]
    assert dispatch.batches == [("v1", [0, 1, 2, 3, 4])]


async def test_batches_never_mix_keys() -> None:
    dispatch = Recorder()
    micro = batcher(dispatch, max_items=64)
    async with asyncio.timeout(GUARD):
        results = await asyncio.gather(
            micro.submit("v1", [1]), micro.submit("v2", [2]), micro.submit("v1", [3])
        )
    assert list(results) == [["v1:1"], ["v2:2"], ["v1:3"]]
    assert sorted(dispatch.batches) == [("v1", [1, 3]), ("v2", [2])]


async def test_large_submit_is_split_and_reassembled_in_order() -> None:
    dispatch = Recorder()
    micro = batcher(dispatch, max_items=4)
    async with asyncio.timeout(GUARD):
        small, large = await asyncio.gather(
            micro.submit("v1", [100, 101]), micro.submit("v1", list(range(10)))
        )
    assert small == ["v1:100", "v1:101"]
    assert large == [f"v1:{n}" for n in range(10)]
    assert [len(items) for _, items in dispatch.batches] == [4, 4, 4]
    assert dispatch.batches[0][1] == [100, 101, 0, 1]


async def test_dispatch_error_reaches_every_submitter_of_the_batch_only() -> None:
    async def dispatch(key: str, items: list[int]) -> list[str]:
        if key == "bad":
            raise RuntimeError("model crashed")
        return [str(item) for item in items]

    micro = batcher(dispatch)
    async with asyncio.timeout(GUARD):
        outcomes = await asyncio.gather(
            micro.submit("bad", [1]),
            micro.submit("bad", [2]),
            micro.submit("good", [3]),
            return_exceptions=True,
        )
    assert [type(outcome) for outcome in outcomes[:2]] == [RuntimeError, RuntimeError]
    assert str(outcomes[0]) == "model crashed"
    assert outcomes[2] == ["3"]


async def test_wrong_number_of_results_is_a_clear_error() -> None:
    async def dispatch(key: str, items: list[int]) -> list[str]:
        return ["only one"]

    micro = batcher(dispatch, window_s=LONG)
    with pytest.raises(BatchResultMismatchError, match="1 results for 4 items"):
        async with asyncio.timeout(GUARD):
            await micro.submit("v1", [1, 2, 3, 4])


async def test_cancelled_submitter_does_not_break_the_batch() -> None:
    dispatch = Recorder(gate=asyncio.Event())
    micro = batcher(dispatch, max_items=64)
    leaver = asyncio.create_task(micro.submit("v1", [1]))
    stayer = asyncio.create_task(micro.submit("v1", [2, 3]))
    await until(lambda: dispatch.running == 1)
    leaver.cancel()
    assert dispatch.gate is not None
    dispatch.gate.set()
    async with asyncio.timeout(GUARD):
        assert await stayer == ["v1:2", "v1:3"]
    assert leaver.cancelled()
    assert dispatch.batches == [("v1", [1, 2, 3])]


async def test_batch_whose_submitters_all_left_is_not_dispatched() -> None:
    dispatch = Recorder(gate=asyncio.Event())
    micro = batcher(dispatch, max_items=1, max_in_flight=1)
    first = asyncio.create_task(micro.submit("v1", [1]))
    await until(lambda: dispatch.running == 1)
    abandoned = asyncio.create_task(micro.submit("v1", [2]))  # waits for the only slot
    await asyncio.sleep(0)
    abandoned.cancel()
    assert dispatch.gate is not None
    dispatch.gate.set()
    async with asyncio.timeout(GUARD):
        assert await first == ["v1:1"]
        await micro.aclose()
    assert dispatch.batches == [("v1", [1])]


async def test_in_flight_dispatches_are_bounded() -> None:
    dispatch = Recorder(gate=asyncio.Event())
    micro = batcher(dispatch, max_items=1, max_in_flight=2)
    tasks = [asyncio.create_task(micro.submit("v1", [n])) for n in range(6)]
    await until(lambda: dispatch.running == 2)
    for _ in range(10):  # give extra dispatches every chance to start
        await asyncio.sleep(0)
    assert dispatch.running == 2
    assert micro.in_flight == 2
    assert dispatch.gate is not None
    dispatch.gate.set()
    async with asyncio.timeout(GUARD):
        results = await asyncio.gather(*tasks)
    assert results == [[f"v1:{n}"] for n in range(6)]
    assert dispatch.max_running == 2


async def test_due_batch_keeps_filling_while_every_slot_is_busy() -> None:
    dispatch = Recorder(gate=asyncio.Event())
    micro = batcher(dispatch, max_items=10, window_s=0, max_in_flight=1)
    first = asyncio.create_task(micro.submit("v1", [0]))
    await until(lambda: dispatch.running == 1)
    later = []
    for n in range(1, 4):  # one per loop turn: each arrives after the previous window
        later.append(asyncio.create_task(micro.submit("v1", [n])))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    assert dispatch.gate is not None
    dispatch.gate.set()
    async with asyncio.timeout(GUARD):
        await asyncio.gather(first, *later)
    assert dispatch.batches == [("v1", [0]), ("v1", [1, 2, 3])]


async def test_on_batch_reports_size_and_a_failing_hook_is_harmless() -> None:
    seen: list[tuple[str, int, float]] = []

    def hook(key: str, size: int, waited: float, seconds: float) -> None:
        assert waited >= 0
        seen.append((key, size, seconds))
        raise ValueError("broken metrics")

    micro = batcher(Recorder(), max_items=3, window_s=LONG, on_batch=hook)
    async with asyncio.timeout(GUARD):
        assert await micro.submit("v1", [1, 2, 3]) == ["v1:1", "v1:2", "v1:3"]
    assert [(key, size) for key, size, _ in seen] == [("v1", 3)]
    assert seen[0][2] >= 0


async def test_aclose_flushes_pending_waits_in_flight_and_refuses_new_work() -> None:
    dispatch = Recorder()
    micro = batcher(dispatch, max_items=64, window_s=LONG)
    pending = asyncio.create_task(micro.submit("v1", [1, 2]))
    await asyncio.sleep(0)
    async with asyncio.timeout(GUARD):
        await micro.aclose()
    assert pending.done()
    assert pending.result() == ["v1:1", "v1:2"]
    with pytest.raises(BatcherClosedError):
        await micro.submit("v1", [3])


async def test_empty_submit_and_invalid_limits() -> None:
    micro = batcher(Recorder())
    assert await micro.submit("v1", []) == []
    with pytest.raises(ValueError, match="max_items"):
        batcher(Recorder(), max_items=0)
