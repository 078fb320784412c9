"""Training runs through the API, a real broker and a real worker process.

The broker is Redis when `APP_TEST_REDIS_URL` is set (CI) and the embedded filesystem
broker of `make dev` always, so both transports carry the same task code.
"""

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from server.config import Settings
from server.tests.support.databases import provision_database
from server.tests.support.live_server import free_port
from server.tests.support.settings import settings_for_url
from server.tests.support.worker import celery_worker, redis_test_url

ROWS = "3000"  # small generated datasets keep each run to a couple of seconds


def _broker_param() -> Any:
    if redis_test_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1":
        return pytest.param("redis", marks=pytest.mark.skip(reason="APP_TEST_REDIS_URL unset"))
    return pytest.param("redis")


@pytest.fixture(scope="module", params=["embedded", _broker_param()])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A migrated database, a broker and a worker on the `training` queue."""
    tmp: Path = tmp_path_factory.mktemp(f"training-{request.param}")
    with provision_database("sqlite", tmp) as database:
        overrides: dict[str, Any] = {
            "artifact_root": tmp / "artifacts",
            "embedded_broker_dir": tmp / "broker",
            "train_default_rows": int(ROWS),
        }
        if request.param == "redis":
            url = redis_test_url()
            assert url, "CI must set APP_TEST_REDIS_URL"
            redis.Redis.from_url(url).flushdb()
            overrides["redis_url"] = url
        settings = settings_for_url(database.settings.database_url, **overrides)
        env = {
            "APP_DATABASE_URL": settings.database_url,
            "APP_ARTIFACT_ROOT": str(settings.artifact_root),
            "APP_EMBEDDED_BROKER_DIR": str(settings.embedded_broker_dir),
            "APP_TRAIN_DEFAULT_ROWS": ROWS,
            "APP_WORKER_METRICS_PORT": str(free_port()),
            "APP_METRICS_MULTIPROC_DIR": str(tmp / "metrics"),
        }
        if settings.redis_url:
            env["APP_REDIS_URL"] = settings.redis_url
        with celery_worker(env, queues="training"):
            yield settings.model_copy(
                update={"worker_metrics_port": int(env["APP_WORKER_METRICS_PORT"])}
            )


async def wait_for_run(client: httpx.AsyncClient, location: str, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = (await client.get(location)).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        await asyncio.sleep(0.2)
    raise TimeoutError(f"run {location} did not finish in {timeout_s} s")


async def test_a_training_run_is_executed_by_the_worker_and_registered(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/training-runs", json={"promote": True, "seed": 7})
    assert response.status_code == 202
    location = response.headers["location"]
    assert location == f"/api/v1/training-runs/{response.json()['id']}"
    assert response.json()["status"] == "queued"

    run = await wait_for_run(client, location)
    assert run["status"] == "succeeded", run["error"]
    assert run["progress"] == 1.0
    assert run["attempts"] == 1
    assert {gate["name"] for gate in run["gate_results"]} >= {"macro_f1", "parity", "bias"}
    assert all(gate["passed"] for gate in run["gate_results"])

    models = (await client.get("/api/v1/models")).json()
    assert models[0]["aliases"]["champion"] == run["version"]


async def test_a_run_on_worse_data_is_refused_by_its_gates(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/training-runs", json={"label_noise": 0.5})
    run = await wait_for_run(client, response.headers["location"])
    assert run["status"] == "failed"
    assert run["error"]["kind"] == "gates"
    assert "champion" in run["error"]["failed_gates"]
    assert run["version"] is None


async def test_an_unknown_run_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/training-runs/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


async def test_an_invalid_request_is_422_and_records_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/training-runs", json={"rows": 5, "colour": "red"})
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert fields == {("body", "rows"), ("body", "colour")}


async def test_the_worker_serves_its_task_metrics(stack: Settings) -> None:
    # Runs after the tests above in this module: their tasks ran in pool processes, and the
    # worker's main process reports them all.
    url = f"http://127.0.0.1:{stack.worker_metrics_port}/metrics"
    async with httpx.AsyncClient() as http:
        text = (await http.get(url)).text
    finished = {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "worker_tasks_total" and sample.labels["task"] == "training.run"
    }
    assert finished.get("success", 0) >= 2
