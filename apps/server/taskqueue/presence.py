"""What an API process knows of the workers: which processes are alive and what they serve.

Read from the heartbeats (`heartbeat.py`) at most every `readiness_cache_s` and shared by
readiness, the dependency metrics and every prediction: the hot path asks a cached view,
not Redis. A read that fails is remembered for as long, so an unreachable Redis costs one
attempt per interval, not one per request.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from server.config import Settings
from server.core.refreshing_cache import RefreshingCache
from server.taskqueue.heartbeat import (
    Heartbeat,
    HeartbeatStore,
    heartbeat_max_age,
    heartbeat_store,
)


@dataclass(frozen=True)
class WorkerView:
    """The live worker processes at one moment."""

    beats: tuple[Heartbeat, ...]

    @property
    def serving(self) -> list[Heartbeat]:
        """The processes that consume a prediction queue."""
        return [beat for beat in self.beats if beat.serves_predictions]

    def loaded_by(self, model: str, version: int) -> int:
        """How many serving processes have the version loaded."""
        return sum(version in beat.models.get(model, []) for beat in self.serving)

    def refusals(self, model: str, version: int) -> list[str]:
        """The distinct reasons serving processes gave for refusing the version."""
        reasons = {
            refusal.reason
            for beat in self.serving
            for refusal in beat.refused
            if (refusal.model, refusal.version) == (model, version)
        }
        return sorted(reasons)

    def unavailable(self, model: str, version: int, queue: str | None = None) -> str | None:
        """Why no worker can answer for the version now; None when one can (or may).

        A live worker that has not loaded the version yet (just promoted) loads it when the
        task arrives, so only "no worker at all" and "every worker refused it" say no. With
        `queue`, only the workers that consume that queue count (a version routed to
        `inference-gpu` has no answer without a GPU worker, however many CPU workers run).
        """
        serving = self.serving
        if not serving:
            return "no worker serving predictions is running"
        if queue is not None:
            serving = [b for b in serving if b.queues is None or queue in b.queues]
            if not serving:
                return f"no worker consumes the {queue} queue"
        if self.loaded_by(model, version):
            return None
        refusing = [
            beat
            for beat in serving
            if any((r.model, r.version) == (model, version) for r in beat.refused)
        ]
        if len(refusing) == len(serving):
            reasons = "; ".join(self.refusals(model, version))
            return f"version {version} of '{model}' is refused: {reasons}"
        return None


class WorkerPresence:
    """A cached view of the live workers for one API process.

    The view is reloaded in the background when it is used in the last quarter of its life,
    so requests keep the cached view instead of queueing behind a read of the beats at every
    expiry; concurrent callers that find no view share one read.
    """

    def __init__(
        self,
        store: HeartbeatStore,
        max_age_s: float,
        ttl_s: float,
        timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.max_age_s, self.ttl_s, self.timeout_s = store, max_age_s, ttl_s, timeout_s
        self.error: str | None = None
        self._cache: RefreshingCache[None, tuple[WorkerView | None, str | None]] = RefreshingCache(
            lambda _: self._read(), ttl_s=ttl_s, refresh_ahead_s=ttl_s / 4, clock=clock
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> "WorkerPresence":
        return cls(
            heartbeat_store(settings),
            heartbeat_max_age(settings),
            settings.readiness_cache_s,
            settings.readiness_timeout_s,
        )

    async def view(self) -> WorkerView | None:
        """The live workers, read at most every `ttl_s`; None when the beats are unreadable
        (`error` says why)."""
        view, self.error = await self._cache.get(None)
        return view

    async def _read(self) -> tuple[WorkerView | None, str | None]:
        """The view, or None and why not: an unreadable store is reported, never raised."""
        try:
            beats = await asyncio.wait_for(self.store.read_fresh(self.max_age_s), self.timeout_s)
        except TimeoutError:
            return None, f"the heartbeats gave no answer within {self.timeout_s} s"
        except Exception as exc:
            return None, f"the heartbeats could not be read ({type(exc).__name__})"
        return WorkerView(tuple(beats)), None

    async def aclose(self) -> None:
        """Wait for a background reload still running."""
        await self._cache.aclose()
