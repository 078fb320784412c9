"""Waiting on what a test observes instead of sleeping a fixed time."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

WORK_BUDGET_S = 60.0
"""How long asynchronous work (a task, a heartbeat) may take to show on a busy machine."""


async def eventually(
    observe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    timeout_s: float = WORK_BUDGET_S,
    interval_s: float = 0.1,
) -> T:
    """Observe until `done` holds and return that observation; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not done(seen := await observe()):
        assert time.monotonic() < deadline, f"still {seen!r} after {timeout_s} s"
        await asyncio.sleep(interval_s)
    return seen
