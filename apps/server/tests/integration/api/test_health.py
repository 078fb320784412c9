"""Probes: liveness touches nothing; readiness checks the database now."""

import asyncio
from pathlib import Path

import httpx
import pytest

from server.main import create_app
from server.services.health import check_readiness
from server.tests.support.apps import client_for
from server.tests.support.settings import SettingsFactory


async def test_liveness_is_ok(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_reports_each_check(client: httpx.AsyncClient) -> None:
    # No model is promoted here and no worker runs: ready needs both (see the worker tests).
    response = await client.get("/readiness")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["database"]["latency_ms"] >= 0
    assert checks["broker"]["status"] == "ok"
    assert checks["model"] == {
        "status": "fail",
        "latency_ms": checks["model"]["latency_ms"],
        "error": "no version of 'ticket-triage' is champion yet",
    }
    assert response.json()["detail"] == "failed checks: model"


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

    report = await check_readiness({"slow": never}, timeout_s=0.05)
    assert report.status == "fail"
    assert report.checks["slow"].error == "no answer within 0.05 s"
