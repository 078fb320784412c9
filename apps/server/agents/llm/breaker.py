"""A circuit breaker per provider: stop calling one that keeps failing, try it again later.

Closed: calls go through; `failure_threshold` consecutive failed attempts open it. Open:
calls are refused without touching the network until `reset_s` have passed. Then one trial
call at a time is let through (half-open): its success closes the circuit, its failure
opens it for another `reset_s`.
"""

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self._clock() - self._opened_at >= self._reset_s:
            return BreakerState.half_open
        return BreakerState.open

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial runs at a time."""
        state = self.state
        if state is BreakerState.closed:
            return True
        if state is BreakerState.half_open and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:
            # A failed trial (or a late failure while open): wait a whole period again.
            self._opened_at = self._clock()
            return
        self._failures += 1
        if self._failures >= self._threshold:
            self._opened_at = self._clock()
