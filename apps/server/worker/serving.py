"""Per-process serving state of a worker: loaded classifiers and the heartbeat thread.

Created once in each pool process (after the fork, never in the parent: models and, on a
GPU worker, CUDA must not be initialized before forking). The heartbeat thread looks up
the served versions in the registry every `worker_heartbeat_s`, loads any new one (so a
promotion is picked up without a restart, before traffic asks for it) and writes a beat
naming what is loaded.
"""

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from server.agents.artifacts.store import LocalArtifactStore
from server.config import Settings
from server.database.session import Database
from server.services import registry
from server.taskqueue.heartbeat import Heartbeat, heartbeat_store
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
    loop: asyncio.AbstractEventLoop | None = None
    database: Database | None = None

    def run(self, work: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
        """Run async service code on this process's own loop and engine (tasks only)."""
        if self.loop is None or self.database is None:
            self.loop = asyncio.new_event_loop()
            self.database = Database.from_settings(self.settings)
        return self.loop.run_until_complete(work(self.database))

    def beat_once(self) -> None:
        """Load the versions the registry serves, then report what is loaded."""
        served = asyncio.run(_served_versions(self.settings))
        serving = {
            role: version
            for role, (version, sha256) in served.items()
            if self.classifiers.ensure(self.settings.model_name, version, sha256)
        }
        self.gauges.update(serving)
        heartbeat_store(self.settings).write(
            Heartbeat(
                hostname=socket.gethostname(),
                pid=self.pid,
                models=self.classifiers.loaded(),
                at=time.time(),
            )
        )

    def _beat_forever(self) -> None:
        while True:
            try:
                self.beat_once()
            except Exception:  # a failed beat is retried; the process keeps serving
                log.exception("worker.heartbeat_failed")
            time.sleep(self.settings.worker_heartbeat_s)

    def start_heartbeat(self) -> None:
        threading.Thread(target=self._beat_forever, name="heartbeat", daemon=True).start()


async def _served_versions(settings: Settings) -> dict[str, tuple[int, str]]:
    async with Database.connect(settings) as database, database.session() as session:
        return await registry.served_versions(session, settings.model_name)


_state: ServingState | None = None


def serving_state(settings: Settings) -> ServingState:
    """This process's state, created (and its heartbeat started) on first use."""
    global _state  # noqa: PLW0603 - one state per process, by design
    if _state is None or _state.pid != os.getpid():
        store = LocalArtifactStore(settings.artifact_root)
        cache = ClassifierCache(store, settings.classifier_cache_size, settings.use_gpu)
        _state = ServingState(
            settings=settings,
            classifiers=cache,
            pid=os.getpid(),
            gauges=ServingGauges(settings.model_name),
        )
        _state.start_heartbeat()
    return _state
