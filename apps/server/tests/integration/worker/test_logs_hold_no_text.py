"""No log line of the API or a worker carries what a user wrote (`APP_STORE_INPUTS=false`).

A marker text goes through sync predictions (with shadow scoring of every request), a
batch job and a training run, with both processes logging at INFO (Celery's "Task received"
lines included); then neither the worker's output nor the API's holds the marker. The
lines that name each task prove that the logs were written, so the test cannot pass on
empty logs.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.config import Settings
from server.database.job_models import JobStatus
from server.database.models import BatchJob, Prediction, TrainingRun
from server.database.registry_models import RunStatus
from server.main import create_app
from server.taskqueue.names import JOB_TASK, PREDICT_TASK, SHADOW_TASK, TRAIN_TASK
from server.tests.support.databases import postgres_admin_url, provision_database
from server.tests.support.models import ModelCache
from server.tests.support.serving import (
    broker_backends,
    install_version,
    stack_settings,
    worker_env,
)
from server.tests.support.waiting import eventually
from server.tests.support.worker import celery_worker

MARKER = "zqxmarker-7731"
TEXTS = [f"my invoice {MARKER} was charged twice", f"{MARKER} parcel lost in transit"]
FINISHED_JOB = {JobStatus.succeeded, JobStatus.failed}
FINISHED_RUN = {RunStatus.succeeded, RunStatus.failed}


@pytest.fixture(scope="module", params=broker_backends()[-1:])
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[tuple[Settings, Path]]:
    tmp: Path = tmp_path_factory.mktemp(f"logs-{request.param}")
    log = tmp / "worker.log"
    # PostgreSQL where there is one: three processes write at once here, which SQLite's
    # single writer turns into busy errors unrelated to what is tested.
    backend = "postgres" if postgres_admin_url() else "sqlite"
    with provision_database(backend, tmp) as database:
        settings = stack_settings(
            request.param, database.settings.database_url, tmp, log_level="INFO"
        )
        asyncio.run(install_version(settings, model_cache, alias="champion", seed=1))
        asyncio.run(install_version(settings, model_cache, alias="challenger", seed=2))
        env = worker_env(settings) | {"APP_LOG_LEVEL": "INFO", "APP_STORE_INPUTS": "false"}
        with celery_worker(env, queues="inference,shadow,batch,training", output=log):
            yield settings, log


@pytest.fixture
def app(stack: tuple[Settings, Path]) -> FastAPI:
    return create_app(stack[0])


async def _count(app: FastAPI, query: object) -> int:
    async with app.state.services.database.session() as session:
        return int(await session.scalar(query) or 0)


async def test_no_log_line_holds_the_users_text(
    client: httpx.AsyncClient,
    app: FastAPI,
    stack: tuple[Settings, Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    _, worker_log = stack
    traffic = await client.put(
        "/api/v1/models/ticket-triage/traffic", json={"challenger_weight": 0, "shadow_sample": 1}
    )
    assert traffic.status_code == 200, traffic.text
    for _ in range(3):
        answer = await client.post("/api/v1/predictions", json={"texts": TEXTS})
        assert answer.status_code == 200, answer.text
    job = await client.post(
        "/api/v1/jobs",
        json={"items": [{"id": f"{MARKER}-{i}", "text": t} for i, t in enumerate(TEXTS)]},
    )
    assert job.status_code == 202, job.text
    run = await client.post("/api/v1/training-runs", json={"rows": 300, "seed": 5})
    assert run.status_code == 202, run.text

    shadowed = select(func.count()).select_from(Prediction).where(Prediction.shadow)
    await eventually(lambda: _count(app, shadowed), lambda n: n >= len(TEXTS))
    done_jobs = select(func.count()).select_from(BatchJob).where(BatchJob.status.in_(FINISHED_JOB))
    await eventually(lambda: _count(app, done_jobs), lambda n: n == 1)
    done_runs = (
        select(func.count()).select_from(TrainingRun).where(TrainingRun.status.in_(FINISHED_RUN))
    )
    await eventually(lambda: _count(app, done_runs), lambda n: n == 1, timeout_s=180)

    worker_text = worker_log.read_text(errors="replace")
    for task in (PREDICT_TASK, SHADOW_TASK, JOB_TASK, TRAIN_TASK):
        assert f"{task}[" in worker_text, f"the worker logged nothing about {task}"
    assert MARKER not in worker_text
    api_text = "".join(capfd.readouterr())
    assert "http.request" in api_text
    assert MARKER not in api_text
