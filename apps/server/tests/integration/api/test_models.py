"""The model registry API: versions, promote, rollback with an audit trail, archive."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.errors import ConflictError
from server.services import registry
from server.services.container import services_of
from server.tests.support.auth import ADMIN_ID
from server.tests.support.models import ModelCache

MODEL = "ticket-triage"


async def register(session: AsyncSession, version: int, macro_f1: float = 0.9) -> None:
    await registry.register_version(
        session,
        model_name=MODEL,
        version=version,
        artifact_uri=f"file:///artifacts/{MODEL}/{version}",
        sha256="ab" * 32,
        metrics={"macro_f1": macro_f1},
        manifest={"version": version, "bias_report": {"max_recall_gap": 0.03}},
        created_by="pytest",
    )


async def promote(
    client: httpx.AsyncClient, version: int, alias: str = "champion"
) -> httpx.Response:
    return await client.put(
        f"/api/v1/models/{MODEL}/aliases/{alias}",
        json={"version": version, "reason": f"promote v{version}"},
    )


@pytest.fixture
async def three_versions(db_session: AsyncSession) -> None:
    for version in (1, 2, 3):
        await register(db_session, version, macro_f1=0.85 + version / 100)


@pytest.mark.usefixtures("three_versions")
async def test_versions_are_listed_with_metrics_and_detail(client: httpx.AsyncClient) -> None:
    listed = (await client.get(f"/api/v1/models/{MODEL}/versions")).json()
    assert [v["version"] for v in listed] == [1, 2, 3]
    assert {v["status"] for v in listed} == {"candidate"}
    detail = (await client.get(f"/api/v1/models/{MODEL}/versions/2")).json()
    assert detail["metrics"] == {"macro_f1": 0.87}
    assert detail["bias_report"] == {"max_recall_gap": 0.03}
    models = (await client.get("/api/v1/models")).json()
    assert models[0]["name"] == MODEL
    assert models[0]["latest_version"] == 3


async def test_a_version_shows_the_lineage_its_manifest_records(
    client: httpx.AsyncClient, db_session: AsyncSession, model_cache: ModelCache
) -> None:
    manifest = model_cache.artifact().manifest
    assert manifest.lineage is not None
    await registry.register_version(
        db_session,
        model_name=MODEL,
        version=1,
        artifact_uri=f"file:///artifacts/{MODEL}/1",
        sha256="cd" * 32,
        metrics={"macro_f1": 0.9},
        manifest=manifest.model_dump(mode="json"),
        created_by="pytest",
    )
    await register(db_session, 2)  # a manifest from before lineage was recorded

    lineage = (await client.get(f"/api/v1/models/{MODEL}/versions/1")).json()["lineage"]
    assert lineage["code"] == manifest.lineage.code.model_dump(mode="json")
    assert lineage["code"]["commit"] is None
    assert lineage["code"]["missing_reason"]  # never a bare null
    assert lineage["seed"] == manifest.lineage.seed
    assert lineage["training_config"] == manifest.lineage.training_config
    assert lineage["training_data"]["sha256"] == manifest.training_data.sha256
    assert lineage["training_data"]["holdout_rows"] == manifest.training_data.holdout_rows
    older = (await client.get(f"/api/v1/models/{MODEL}/versions/2")).json()
    assert older["lineage"] is None


@pytest.mark.usefixtures("three_versions")
async def test_promote_then_rollback_restores_the_previous_champion(
    client: httpx.AsyncClient,
) -> None:
    assert (await promote(client, 1)).json() == {
        "alias": "champion",
        "version": 1,
        "previous_version": None,
    }
    assert (await promote(client, 2)).json()["previous_version"] == 1
    assert (await promote(client, 3)).json()["previous_version"] == 2

    first = await client.post(f"/api/v1/models/{MODEL}/rollback", json={"reason": "errors up"})
    assert first.status_code == 200
    assert first.json() == {"alias": "champion", "version": 2, "previous_version": 3}
    second = await client.post(f"/api/v1/models/{MODEL}/rollback", json={"reason": "still bad"})
    assert second.json() == {"alias": "champion", "version": 1, "previous_version": 2}

    versions = (await client.get(f"/api/v1/models/{MODEL}/versions")).json()
    assert {v["version"]: v["status"] for v in versions} == {
        1: "active",
        2: "candidate",
        3: "candidate",
    }
    audit = (await client.get(f"/api/v1/models/{MODEL}/audit")).json()
    assert [(e["action"], e["from_version"], e["to_version"]) for e in audit] == [
        ("set", None, 1),
        ("set", 1, 2),
        ("set", 2, 3),
        ("rollback", 3, 2),
        ("rollback", 2, 1),
    ]
    assert audit[3]["reason"] == "errors up"
    assert audit[3]["actor"] == ADMIN_ID


@pytest.mark.usefixtures("three_versions")
async def test_rollback_without_history_is_a_409(client: httpx.AsyncClient) -> None:
    await promote(client, 1)
    response = await client.post(f"/api/v1/models/{MODEL}/rollback", json={"reason": "oops"})
    assert response.status_code == 409
    assert "no previous version" in response.json()["detail"]


@pytest.mark.usefixtures("three_versions")
async def test_promoting_twice_is_idempotent(client: httpx.AsyncClient) -> None:
    await promote(client, 2, alias="challenger")
    await promote(client, 2, alias="challenger")
    audit = (await client.get(f"/api/v1/models/{MODEL}/audit")).json()
    assert len(audit) == 1


@pytest.mark.usefixtures("three_versions")
@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (f"/api/v1/models/{MODEL}/aliases/champion", {"version": 9, "reason": "x"}, 404),
        ("/api/v1/models/unknown/aliases/champion", {"version": 1, "reason": "x"}, 404),
        (f"/api/v1/models/{MODEL}/aliases/king", {"version": 1, "reason": "x"}, 422),
        (f"/api/v1/models/{MODEL}/aliases/champion", {"version": 1, "reason": ""}, 422),
        (f"/api/v1/models/{MODEL}/aliases/champion", {"version": 0, "reason": "x"}, 422),
    ],
)
async def test_bad_promotions_are_problems(
    client: httpx.AsyncClient, path: str, body: dict[str, object], status: int
) -> None:
    response = await client.put(path, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_archived_version_cannot_be_promoted(
    client: httpx.AsyncClient, db_session: AsyncSession, three_versions: None
) -> None:
    await registry.archive_version(db_session, MODEL, 3)
    response = await promote(client, 3)
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]


async def test_an_aliased_version_cannot_be_archived(
    client: httpx.AsyncClient, db_session: AsyncSession, three_versions: None
) -> None:
    await promote(client, 1)
    with pytest.raises(ConflictError, match="champion"):
        await registry.archive_version(db_session, MODEL, 1)


async def test_registering_a_taken_version_number_is_a_conflict(
    db_session: AsyncSession, three_versions: None
) -> None:
    assert await registry.reserve_version_number(db_session, MODEL) == 4
    with pytest.raises(ConflictError, match="already has a version 2"):
        await register(db_session, 2)


async def test_champion_version_follows_the_alias(
    client: httpx.AsyncClient, db_session: AsyncSession, three_versions: None
) -> None:
    assert await registry.champion_version(db_session, MODEL) is None
    await promote(client, 2)
    champion = await registry.champion_version(db_session, MODEL)
    assert champion is not None
    assert champion.version == 2


async def test_unknown_model_versions_are_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/models/nope/versions")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no model named 'nope'."


@pytest.mark.usefixtures("three_versions")
async def test_promote_and_rollback_change_the_serving_plan_of_this_process_at_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    plans = services_of(app).predictions.plans
    plans.ttl_s = 3600.0  # only the alias routes themselves can refresh the plan
    assert (await promote(client, 1)).status_code == 200
    assert (champion := (await plans.get()).champion) is not None
    assert champion.version == 1
    assert (await promote(client, 2)).status_code == 200
    assert (champion := (await plans.get()).champion) is not None
    assert champion.version == 2
    rollback = await client.post(f"/api/v1/models/{MODEL}/rollback", json={"reason": "bad"})
    assert rollback.status_code == 200
    assert (champion := (await plans.get()).champion) is not None
    assert champion.version == 1
