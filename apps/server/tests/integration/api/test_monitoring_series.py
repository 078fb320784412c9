"""The monitoring aggregates the console draws, on both backends: served traffic over time
(rate, latency percentiles, each version's share) and quality over successive windows."""

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from server.config import Settings
from server.database.base import utcnow
from server.database.serving_models import Prediction
from server.services.monitoring.checks import run_checks
from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase
from server.tests.support.models import MODEL, ModelCache
from server.tests.support.monitoring import (
    FakeCelery,
    TrainedVersion,
    add_predictions,
    register,
    trained_version,
)

BASE = "/api/v1/monitoring"


@pytest.fixture(scope="module")
def trained(model_cache: ModelCache) -> TrainedVersion:
    return trained_version(model_cache)


@pytest.fixture
async def database(db_connection: AsyncConnection) -> TransactionalDatabase:
    return TransactionalDatabase(db_connection)


@pytest.fixture
def settings(test_database: ProvisionedDatabase) -> Settings:
    base = test_database.settings
    return base.model_copy(update={"quality": base.quality.model_copy(update={"min_labels": 100})})


@pytest.fixture
async def client(
    settings: Settings, db_connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_app(settings, db_connection)) as http:
        yield http


def _served(
    version: int, seconds_ago: float, latency_ms: float, *, shadow: bool = False
) -> Prediction:
    return Prediction(
        created_at=utcnow() - timedelta(seconds=seconds_ago),
        model_name=MODEL,
        version=version,
        label="billing",
        confidence=0.9,
        probabilities={"billing": 0.9},
        latency_ms=latency_ms,
        input_length=20,
        input_sha256=hashlib.sha256(b"x").hexdigest(),
        shadow=shadow,
        requested_by="test",
    )


async def test_traffic_counts_rate_latency_and_versions_per_step(
    client: httpx.AsyncClient, database: TransactionalDatabase, trained: TrainedVersion
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await register(session, trained, 2, "challenger")
        session.add_all(
            [
                # The newest minute: three answers of the champion, one of the challenger.
                _served(1, 30, 1.0),
                _served(1, 31, 2.0),
                _served(1, 32, 8.0),
                _served(2, 33, 1.0),
                _served(2, 30, 400.0, shadow=True),  # scored in the shadow: not an answer
                # Five minutes earlier: two more.
                _served(1, 330, 3.0),
                _served(1, 331, 3.0),
                _served(1, 2 * 3600, 3.0),  # before the window
            ]
        )
        await session.commit()

    response = await client.get(f"{BASE}/traffic", params={"minutes": 60})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["step_s"], len(body["steps"])) == (MODEL, 60, 60)
    busy = [step for step in body["steps"] if step["predictions"]]
    assert [step["predictions"] for step in busy] == [2, 4]
    newest = busy[-1]
    assert newest["per_minute"] == 4
    assert newest["versions"] == [
        {"version": 1, "predictions": 3},
        {"version": 2, "predictions": 1},
    ]
    # 1, 1, 2 and 8 ms in the buckets (0.5, 1], (0.5, 1], (1, 2.5], (5, 10]: the median is
    # the top of the first, the 99th percentile 96 % of the way up the last.
    assert newest["latency_ms"] == {"p50": 1.0, "p95": 9.0, "p99": 9.8}
    idle = next(step for step in body["steps"] if not step["predictions"])
    assert (idle["latency_ms"], idle["versions"], idle["per_minute"]) == (None, [], 0)


async def test_traffic_windows_are_bounded_and_the_model_must_exist(
    client: httpx.AsyncClient, database: TransactionalDatabase, trained: TrainedVersion
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
    day = (await client.get(f"{BASE}/traffic", params={"minutes": 1440})).json()
    assert (day["step_s"], len(day["steps"])) == (1440, 60)
    for minutes in (0, 4, 1441):
        refused = await client.get(f"{BASE}/traffic", params={"minutes": minutes})
        assert refused.status_code == 422, minutes
    missing = await client.get(f"{BASE}/traffic", params={"model": "no-such-model"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_quality_history_lists_the_stored_checks_with_their_intervals(
    client: httpx.AsyncClient,
    database: TransactionalDatabase,
    settings: Settings,
    trained: TrainedVersion,
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
    empty = (await client.get(f"{BASE}/quality/history")).json()
    assert (empty["version"], empty["role"], empty["points"]) == (1, "champion", [])

    async with database.session() as session:
        await add_predictions(session, trained, 1, 150, feedback="truth")
    await run_checks(database, settings, FakeCelery())  # type: ignore[arg-type]
    async with database.session() as session:
        await add_predictions(session, trained, 1, 150, seed=51, feedback="wrong")
    await run_checks(database, settings, FakeCelery())  # type: ignore[arg-type]

    history = await client.get(f"{BASE}/quality/history", params={"limit": 10})
    assert history.status_code == 200, history.text
    body = history.json()
    assert body["gates"] == (await client.get(f"{BASE}/quality")).json()["gates"]
    first, second = body["points"]  # oldest first
    assert first["window_end"] <= second["window_end"]
    assert (first["labelled"], first["below_gate"]) == (150, False)
    assert second["below_gate"] is True
    for point in (first, second):
        accuracy = point["accuracy"]
        assert accuracy["low"] <= accuracy["value"] <= accuracy["high"]
    assert second["accuracy"]["value"] < first["accuracy"]["value"]
    assert (await client.get(f"{BASE}/quality/history", params={"limit": 101})).status_code == 422
