"""Probes: liveness touches nothing; readiness is this process's own (started, not draining,
its database answers); shared dependencies are reported in the body and in metrics."""

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.main import create_app
from server.services.health import ReadinessChecks, check_readiness
from server.tests.support.apps import client_for
from server.tests.support.settings import SettingsFactory


async def test_liveness_is_ok(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_ready_without_workers_and_reports_the_dependencies(
    client: httpx.AsyncClient,
) -> None:
    # No model is promoted and no worker runs: this process can still serve sign-in, the
    # registry and the docs, so it is ready; the body says what the shared parts lack.
    response = await client.get("/readiness")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"process", "database"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["latency_ms"] >= 0
    dependencies = body["dependencies"]
    assert dependencies["broker"]["status"] == "ok"
    assert dependencies["workers"]["status"] == "fail"
    assert dependencies["workers"]["error"] == "no worker serving predictions is running"
    assert dependencies["model"]["status"] == "fail"
    assert dependencies["model"]["error"] == "no version of 'ticket-triage' is champion yet"

    metrics = (await client.get("/metrics")).text
    assert 'dependency_up{dependency="broker"} 1.0' in metrics
    assert 'dependency_up{dependency="workers"} 0.0' in metrics
    assert 'dependency_up{dependency="model"} 0.0' in metrics


async def test_readiness_turns_false_while_draining(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    assert (await client.get("/readiness")).status_code == 200
    app.state.services.lifecycle.draining = True
    response = await client.get("/readiness")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("failed checks: process (draining")
    assert response.json()["checks"]["process"]["status"] == "fail"
    assert (await client.get("/health")).status_code == 200  # alive, only not ready


@pytest.mark.parametrize(
    "database_url",
    [
        # a file where a directory should be: SQLite cannot open the database
        "sqlite+aiosqlite:///{tmp}/not-a-dir/app.db",
        # nothing listens on port 1
        "postgresql+asyncpg://app:app@127.0.0.1:1/app",
    ],
)
async def test_readiness_is_503_when_the_database_is_unreachable(
    database_url: str, tmp_path: Path, make_settings: SettingsFactory
) -> None:
    (tmp_path / "not-a-dir").write_text("a file")
    app = create_app(make_settings(database_url=database_url.format(tmp=tmp_path)))
    async with client_for(app) as client:
        response = await client.get("/readiness")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert body["detail"].startswith("failed checks: database")
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["error"]
    assert body["request_id"] == response.headers["x-request-id"]


async def test_readiness_fails_a_check_that_hangs() -> None:
    async def never() -> None:
        await asyncio.sleep(10)

    report = await check_readiness(ReadinessChecks({"slow": never}, {}), timeout_s=0.05)
    assert report.status == "fail"
    assert report.checks["slow"].error == "no answer within 0.05 s"


async def test_a_dependency_that_hangs_is_reported_and_readiness_holds() -> None:
    async def never() -> None:
        await asyncio.sleep(10)

    async def fine() -> None:
        return None

    report = await check_readiness(
        ReadinessChecks({"database": fine}, {"broker": never}), timeout_s=0.05
    )
    assert report.status == "ok"
    assert report.dependencies["broker"].error == "no answer within 0.05 s"
