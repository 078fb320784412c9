"""A new pool process takes tasks only once its first model refresh has run: the refresh
thread says so, whether the refresh loaded the served versions or failed and will retry."""

import threading
from pathlib import Path
from typing import Any

from server.agents.artifacts.store import LocalArtifactStore
from server.config import Settings
from server.worker.classifier_cache import ClassifierCache
from server.worker.metrics_collectors import ServingGauges
from server.worker.serving import ServingState


class Beats:
    def write(self, beat: Any) -> None:
        self.last = beat

    def remove(self, hostname: str, pid: int) -> None:
        pass


def state(settings: Settings, tmp_path: Path) -> ServingState:
    return ServingState(
        settings=settings,
        classifiers=ClassifierCache(LocalArtifactStore(tmp_path), 2, False),
        pid=1,
        gauges=ServingGauges(settings.model_name),
        beats=Beats(),  # type: ignore[arg-type]
    )


def test_warmed_once_the_first_refresh_ran_even_when_it_failed(tmp_path: Path) -> None:
    settings = Settings(worker_model_refresh_s=60)
    serving = state(settings, tmp_path)
    attempts: list[int] = []

    def failing_refresh() -> None:
        attempts.append(1)
        raise ConnectionError("database unreachable")

    assert not serving.warmed.is_set()
    thread = threading.Thread(
        target=serving._every,
        args=(60, failing_refresh, "worker.refresh_failed", serving.warmed),
        daemon=True,
    )
    thread.start()
    assert serving.warmed.wait(30)
    assert attempts == [1]
    serving._leaving = True  # the thread ends after its sleep; it is a daemon


def test_not_warmed_before_the_first_refresh(tmp_path: Path) -> None:
    serving = state(Settings(), tmp_path)
    gate = threading.Event()
    thread = threading.Thread(
        target=serving._every, args=(60, gate.wait, "x", serving.warmed), daemon=True
    )
    thread.start()
    assert not serving.warmed.wait(0.2)  # the refresh has not returned yet
    gate.set()
    assert serving.warmed.wait(30)
    serving._leaving = True
