"""Load shedding: past `max_waiting` undispatched items, submit refuses at once."""

import asyncio

import pytest

from server.services.predictions.batcher import BatcherOverloadedError, MicroBatcher
from server.tests.unit.services.test_batcher import GUARD, LONG, Recorder, until


async def test_submits_past_the_waiting_bound_are_refused_until_batches_leave() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate)
    shedding: MicroBatcher[str, int, str] = MicroBatcher(
        recorder, max_items=2, window_s=LONG, max_in_flight=1, max_waiting=4
    )
    first = asyncio.ensure_future(shedding.submit("v1", [1, 2]))  # full: dispatched, held
    await until(lambda: recorder.running == 1)
    assert shedding.waiting == 0
    queued = asyncio.ensure_future(shedding.submit("v1", [3, 4, 5, 6]))  # waits for the slot
    await until(lambda: shedding.waiting == 4)
    with pytest.raises(BatcherOverloadedError, match="limit 4"):
        await shedding.submit("v1", [7])
    gate.set()
    assert await asyncio.wait_for(first, GUARD) == ["v1:1", "v1:2"]
    assert await asyncio.wait_for(queued, GUARD) == ["v1:3", "v1:4", "v1:5", "v1:6"]
    assert shedding.waiting == 0
    # Room again: a full batch (the window is too long to flush a partial one) goes through.
    assert await asyncio.wait_for(shedding.submit("v1", [7, 8]), GUARD) == ["v1:7", "v1:8"]
    await shedding.aclose()


async def test_without_a_bound_nothing_is_refused() -> None:
    unbounded: MicroBatcher[str, int, str] = MicroBatcher(
        Recorder(), max_items=2, window_s=0.001, max_in_flight=1
    )
    results = await asyncio.wait_for(
        asyncio.gather(*(unbounded.submit("v", [i]) for i in range(50))), GUARD
    )
    assert len(results) == 50
    await unbounded.aclose()
