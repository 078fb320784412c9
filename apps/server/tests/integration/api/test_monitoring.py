"""The monitoring API on both backends: overview, drift and quality, insufficient data, 404s."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from server.config import Settings
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
    return base.model_copy(
        update={
            "drift": base.drift.model_copy(update={"min_window": 300}),
            "quality": base.quality.model_copy(update={"min_labels": 100}),
        }
    )


@pytest.fixture
async def client(
    settings: Settings, db_connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_app(settings, db_connection)) as http:
        yield http


async def test_drift_and_quality_of_the_champion(
    client: httpx.AsyncClient, database: TransactionalDatabase, trained: TrainedVersion
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await add_predictions(session, trained, 1, 400, drift=1.0, feedback="truth")

    drift = await client.get(f"{BASE}/drift")
    assert drift.status_code == 200, drift.text
    body = drift.json()
    assert (body["model"], body["version"], body["role"], body["shadow"]) == (
        MODEL,
        1,
        "champion",
        False,
    )
    assert body["window_size"] == 400
    assert body["severity"] == "major"
    by_feature = {f["feature"]: f for f in body["features"]}
    assert by_feature["text_length"]["method"] == "ks"  # a small window: the test
    assert by_feature["text_length"]["severity"] == "major"
    # The two distributions PSI compared, for the console's chart: shares that sum to 1.
    text_bins = by_feature["text_length"]["bins"]
    assert sum(b["reference"] for b in text_bins) == pytest.approx(1, abs=1e-3)
    assert sum(b["window"] for b in text_bins) == pytest.approx(1, abs=1e-3)

    quality = await client.get(f"{BASE}/quality", params={"model": MODEL, "version": 1})
    assert quality.status_code == 200, quality.text
    report = quality.json()
    assert report["status"] == "ok"
    assert report["labelled"] == 400
    assert report["feedback"]["accuracy"]["low"] <= report["feedback"]["accuracy"]["value"]
    assert report["calibration"]["bins"]
    assert {s["segment"] for s in report["segments"]["segments"]} <= {"<100", "100-199", ">=200"}
    assert report["estimated"]["count"] == 400
    assert report["gates"]["macro_auc"] == 0.93


async def test_a_small_window_is_insufficient_data(
    client: httpx.AsyncClient, database: TransactionalDatabase, trained: TrainedVersion
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await add_predictions(session, trained, 1, 50, feedback="truth")

    drift = (await client.get(f"{BASE}/drift", params={"window": 20})).json()
    assert drift["window_size"] == 20
    assert drift["severity"] == "insufficient_data"
    assert {f["severity"] for f in drift["features"]} == {"insufficient_data"}
    assert all(f["psi"] is None for f in drift["features"])

    quality = (await client.get(f"{BASE}/quality")).json()
    assert quality["status"] == "insufficient_data"
    assert (quality["feedback"], quality["calibration"], quality["segments"]) == (None, None, None)
    assert quality["estimated"]["count"] == 50


@pytest.mark.parametrize(
    ("path", "params", "detail"),
    [
        ("drift", {"model": "nope"}, "There is no model named 'nope'."),
        ("quality", {"model": "nope"}, "There is no model named 'nope'."),
        ("drift", {"version": 9}, f"Model '{MODEL}' has no version 9."),
        ("quality", {"version": 9}, f"Model '{MODEL}' has no version 9."),
    ],
)
async def test_unknown_models_and_versions_are_404_problems(
    *,
    client: httpx.AsyncClient,
    database: TransactionalDatabase,
    trained: TrainedVersion,
    path: str,
    params: dict[str, str | int],
    detail: str,
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
    response = await client.get(f"{BASE}/{path}", params=params)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == detail


async def test_a_model_without_a_champion_is_404(
    client: httpx.AsyncClient, database: TransactionalDatabase, trained: TrainedVersion
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, None)
    response = await client.get(f"{BASE}/drift")
    assert response.status_code == 404
    assert "no champion" in response.json()["detail"]


async def test_the_overview_shows_served_versions_and_their_last_checks(
    client: httpx.AsyncClient,
    database: TransactionalDatabase,
    trained: TrainedVersion,
    settings: Settings,
) -> None:
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await register(session, trained, 2, "challenger")
        await add_predictions(session, trained, 1, 400, drift=1.0)
    empty = (await client.get(f"{BASE}/overview")).json()
    assert [v["drift"] for v in empty["models"][0]["versions"]] == [None, None]

    await run_checks(database, settings, FakeCelery())  # type: ignore[arg-type]

    overview = (await client.get(f"{BASE}/overview")).json()
    assert overview["retrain_trigger"] == "suggest"
    (model,) = overview["models"]
    assert [(v["version"], v["role"]) for v in model["versions"]] == [
        (1, "champion"),
        (2, "challenger"),
    ]
    assert model["versions"][0]["drift"]["severity"] == "major"
    assert model["versions"][0]["quality"]["status"] == "insufficient_data"
    assert model["last_trigger"]["reason"] == "drift"
    assert model["last_trigger"]["action"] == "suggest"


async def test_monitoring_needs_credentials(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    app = build_app(test_database.settings, db_connection)
    async with client_for(app, authenticated=False) as anonymous:
        assert (await anonymous.get(f"{BASE}/overview")).status_code == 401
