"""Per-process serving state of a worker: loaded classifiers, the presence beat, the refresh.

Created once in each pool process (after the fork, never in the parent: models and, on a
GPU worker, CUDA must not be initialized before forking). Two daemon threads run in it:

- the presence beat, every `worker_heartbeat_s`: writes what is loaded and refused, from
  memory only, so a slow database or model load never makes a live worker look gone;
- the refresh, every `worker_model_refresh_s`: looks up the served versions in the
  registry, re-verifies the loaded artifacts' digests when those changed or every
  `artifact_verify_interval_s` (a tampered one is unloaded and refused), loads any new
  version (a promotion is picked up without a restart, before traffic asks for it), and
  beats at once so the API learns of it.

A process that exits cleanly removes its beat (`say_goodbye`), so it stops counting at once.
"""

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from celery import signals

from server.agents.artifacts.factory import open_artifact_store
from server.config import Settings
from server.core import tracing
from server.database.session import Database
from server.services import registry
from server.taskqueue.heartbeat import Heartbeat, HeartbeatStore, Refusal, heartbeat_store
from server.worker.classifier_cache import ClassifierCache
from server.worker.metrics_collectors import ServingGauges

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass
class ServingState:
    settings: Settings
    classifiers: ClassifierCache
    pid: int
    gauges: ServingGauges
    beats: HeartbeatStore
    queues: list[str] | None = None  # set by the worker once known (see inference_tasks)
    loop: asyncio.AbstractEventLoop | None = None
    database: Database | None = None
    hostname: str = field(default_factory=socket.gethostname)
    _served: dict[str, tuple[int, str]] | None = None
    _verified_at: float = field(default_factory=time.monotonic)
    _leaving: bool = False
    _beat_lock: threading.Lock = field(default_factory=threading.Lock)
    # Set once the first model refresh has run (loaded, or failed and left to retry).
    warmed: threading.Event = field(default_factory=threading.Event)

    def run(self, work: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
        """Run async service code on this process's own loop and engine (tasks only)."""
        if self.loop is None or self.database is None:
            self.loop = asyncio.new_event_loop()
            self.database = Database.from_settings(self.settings)
            if (provider := tracing.active()) is not None:
                from server.core.tracing_instruments import instrument_engine  # noqa: PLC0415

                instrument_engine(self.database.engine, provider)
        return self.loop.run_until_complete(work(self.database))

    def beat_once(self) -> None:
        """Say this process is alive, with what it has loaded and refused."""
        beat = Heartbeat(
            hostname=self.hostname,
            pid=self.pid,
            models=self.classifiers.loaded(),
            refused=[
                Refusal(model=model, version=version, reason=reason)
                for model, version, reason in self.classifiers.refused()
            ],
            queues=self.queues,
            at=time.time(),
        )
        with self._beat_lock:  # never a beat after the goodbye
            if not self._leaving:
                self.beats.write(beat)

    def refresh_once(self) -> None:
        """Re-verify what is loaded when due, load the served versions, then beat."""
        served = asyncio.run(_served_versions(self.settings))
        due = time.monotonic() - self._verified_at >= self.settings.artifact_verify_interval_s
        if served != self._served or due:
            self.classifiers.verify_loaded()
            self._verified_at = time.monotonic()
        self._served = served
        model = self.settings.model_name
        serving = {
            role: version
            for role, (version, sha256) in served.items()
            if self.classifiers.ensure(model, version, sha256)
        }
        self.classifiers.forget_refusals((model, v, sha) for v, sha in served.values())
        self.gauges.update(serving)
        self.gauges.update_refused([(m, v) for m, v, _ in self.classifiers.refused()])
        self.beat_once()

    def say_goodbye(self) -> None:
        """Remove this process's beat: it is leaving and must not count as a live worker."""
        with self._beat_lock:
            self._leaving = True
            self.beats.remove(self.hostname, self.pid)

    def _every(
        self,
        interval_s: float,
        step: Callable[[], None],
        event: str,
        done: threading.Event | None = None,
    ) -> None:
        while not self._leaving:
            try:
                step()
            except Exception:  # retried at the next interval; the process keeps serving
                log.exception(event)
            if done is not None:
                done.set()
            time.sleep(interval_s)

    def start_threads(self) -> None:
        threading.Thread(
            target=self._every,
            args=(self.settings.worker_heartbeat_s, self.beat_once, "worker.heartbeat_failed"),
            name="presence-beat",
            daemon=True,
        ).start()
        threading.Thread(
            target=self._every,
            args=(
                self.settings.worker_model_refresh_s,
                self.refresh_once,
                "worker.refresh_failed",
                self.warmed,
            ),
            name="model-refresh",
            daemon=True,
        ).start()


async def _served_versions(settings: Settings) -> dict[str, tuple[int, str]]:
    async with Database.connect(settings) as database, database.session() as session:
        return await registry.served_versions(session, settings.model_name)


_state: ServingState | None = None


def serving_state(settings: Settings) -> ServingState:
    """This process's state, created (and its threads started) on first use."""
    global _state  # noqa: PLW0603 - one state per process, by design
    if _state is None or _state.pid != os.getpid():
        store = open_artifact_store(settings)
        cache = ClassifierCache(store, settings.classifier_cache_size, settings.use_gpu)
        _state = ServingState(
            settings=settings,
            classifiers=cache,
            pid=os.getpid(),
            gauges=ServingGauges(settings.model_name),
            beats=heartbeat_store(settings),
        )
        _state.start_threads()
    return _state


@signals.worker_process_shutdown.connect  # a pool process leaves (prefork)
@signals.worker_shutdown.connect  # the worker leaves (the solo pool serves in it)
def _say_goodbye(**_: Any) -> None:
    state = _state
    if state is None or state.pid != os.getpid():
        return
    try:
        state.say_goodbye()
    except Exception:  # the beat then expires on its own within a few seconds
        log.warning("worker.goodbye_failed", exc_info=True)
