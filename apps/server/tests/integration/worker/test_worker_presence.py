"""Worker presence: a worker that stops cleanly is gone at once, a killed one within seconds,
and predictions then answer 503 with the reason (not a 504 after the timeout), while the API
itself stays ready.

Runs on the embedded broker of `make dev` always and on Redis when configured.
"""

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Settings
from server.main import create_app
from server.taskqueue.heartbeat import heartbeat_max_age
from server.taskqueue.presence import WorkerPresence
from server.tests.support.apps import client_for
from server.tests.support.databases import provision_database
from server.tests.support.models import ModelCache
from server.tests.support.processes import end_group, group_members
from server.tests.support.serving import (
    broker_backends,
    install_version,
    stack_settings,
    worker_env,
)
from server.tests.support.waiting import eventually
from server.tests.support.worker import celery_worker

TEXT = "I was charged twice for my subscription"


@pytest.fixture(params=broker_backends())
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, model_cache: ModelCache
) -> Iterator[Settings]:
    with provision_database("sqlite", tmp_path) as database:
        settings = stack_settings(request.param, database.settings.database_url, tmp_path)
        asyncio.run(install_version(settings, model_cache, alias="champion"))
        yield settings


def presence(settings: Settings) -> WorkerPresence:
    return WorkerPresence.from_settings(settings.model_copy(update={"readiness_cache_s": 0.0}))


async def beating_pids(settings: Settings) -> set[int]:
    view = await presence(settings).view()
    assert view is not None
    return {beat.pid for beat in view.serving}


async def serving_worker(settings: Settings, worker: subprocess.Popen[bytes]) -> set[int]:
    """Wait until the worker's pool processes beat with the champion loaded; their pids."""

    async def loaded() -> set[int]:
        view = await presence(settings).view()
        assert view is not None
        pids = set(group_members(worker.pid))  # the pool forks after the worker is up
        return {b.pid for b in view.serving if 1 in b.models.get(settings.model_name, [])} & pids

    return await eventually(loaded, bool)


async def test_a_killed_worker_is_gone_within_seconds_and_predictions_say_so(
    settings: Settings,
) -> None:
    with celery_worker(worker_env(settings), queues="inference") as worker:
        await serving_worker(settings, worker)
        # Every process of the worker, the pool process that beat last included: one that
        # had not loaded the champion yet still counts as serving (it loads on demand).
        members = set(group_members(worker.pid))
        os.killpg(worker.pid, signal.SIGKILL)  # a crash: no goodbye
        killed = time.monotonic()
        await eventually(lambda: beating_pids(settings), lambda seen: not seen & members)
        gone_after = time.monotonic() - killed
    # Three missed beats (1.5 s here, 3 s by default) and one read of the beats.
    assert gone_after <= heartbeat_max_age(settings) + 2.0, gone_after

    async with client_for(create_app(settings)) as client:
        started = time.monotonic()
        answer = await client.post("/api/v1/predictions", json={"texts": [TEXT]})
        assert answer.status_code == 503, answer.text
        assert time.monotonic() - started < settings.predict_timeout_s  # not a wait for 504
        assert "no worker serving predictions is running" in answer.json()["detail"]
        assert int(answer.headers["retry-after"]) >= 1
        readiness = await client.get("/readiness")
    assert readiness.status_code == 200  # the API itself still serves
    workers = readiness.json()["dependencies"]["workers"]
    assert workers == {
        "status": "fail",
        "latency_ms": workers["latency_ms"],
        "error": "no worker serving predictions is running",
        "detail": None,
    }


async def test_a_worker_that_stops_cleanly_is_gone_at_once(settings: Settings) -> None:
    with celery_worker(worker_env(settings), queues="inference") as worker:
        pids = await serving_worker(settings, worker)
        end_group(worker)  # SIGTERM: a warm shutdown, as a deploy or scale-down does
        assert worker.returncode is not None
        # Read at once, without waiting for the beats to age: each pool process said goodbye.
        assert not await beating_pids(settings) & pids
