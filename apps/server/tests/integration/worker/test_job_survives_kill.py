"""A worker process killed with SIGKILL mid-job: the job still completes, each row once."""

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from server.config import Settings
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.databases import provision_database
from server.tests.support.models import ModelCache
from server.tests.support.serving import install_version, stack_settings, worker_env
from server.tests.support.worker import celery_worker

ITEMS = 30_000
DEADLINE_S = 40


def pool_children(pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603 - a fixed system tool
        ["/usr/bin/pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in found.stdout.split()]


async def submit_kill_and_wait(settings: Settings, worker_pid: int) -> tuple[Any, list[Any]]:
    """Submit a job, SIGKILL the worker's pool process mid-job, wait for the job."""
    async with client_for(create_app(settings)) as client:
        items = [{"text": f"refund order {i} please", "id": str(i)} for i in range(ITEMS)]
        response = await client.post("/api/v1/jobs", json={"items": items})
        assert response.status_code == 202
        location = response.headers["location"]

        while (job := (await client.get(location)).json())["processed"] < 2_000:
            assert job["status"] in ("queued", "running"), job
            await asyncio.sleep(0.02)
        assert job["processed"] < ITEMS, "the job finished before the kill"
        for child in pool_children(worker_pid):
            os.kill(child, signal.SIGKILL)

        deadline = time.monotonic() + DEADLINE_S
        while (job := (await client.get(location)).json())["status"] != "succeeded":
            assert job["status"] in ("queued", "running"), job
            assert time.monotonic() < deadline, job
            await asyncio.sleep(0.1)
        lines = (await client.get(f"{location}/results")).text.splitlines()
    return job, [json.loads(line) for line in lines]


def test_a_job_survives_its_worker_being_killed(tmp_path: Path, model_cache: ModelCache) -> None:
    # Synchronous on the outside: provisioning the database runs event loops of its own.
    with provision_database("sqlite", tmp_path) as database:
        settings = stack_settings(
            "embedded", database.settings.database_url, tmp_path, jobs_chunk_size=200
        )
        asyncio.run(install_version(settings, model_cache, alias="champion"))
        # One pool process: the one killed is the one running the job. (Killing an idle
        # pool process can leave billiard's shared queue lock held: the pool then hangs.)
        env = worker_env(settings) | {"APP_WORKER_CONCURRENCY": "1"}
        with celery_worker(env, queues="batch") as worker:
            job, results = asyncio.run(submit_kill_and_wait(settings, worker.pid))
    assert job["processed"] == ITEMS
    assert [r["position"] for r in results] == list(range(ITEMS))
    assert [r["id"] for r in results] == [str(i) for i in range(ITEMS)]
