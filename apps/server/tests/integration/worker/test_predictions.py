"""Sync predictions through a real broker and a real worker process.

Runs on the embedded broker of `make dev` always and on Redis when configured.
"""

import asyncio
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from server.config import Settings
from server.database.models import Prediction
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.models import ModelCache
from server.tests.support.processes import STARTUP_BUDGET_S
from server.tests.support.serving import (
    broker_backends,
    champion_stack,
    install_version,
)
from server.tests.support.waiting import eventually

TEXTS = ["I was charged twice for my subscription", "The app crashes when I log in"]


@pytest.fixture(scope="module", params=broker_backends())
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp(f"serving-{request.param}")
    with champion_stack(request.param, tmp, "inference,shadow", model_cache) as settings:
        yield settings


async def eventually_ready(
    client: httpx.AsyncClient, timeout_s: float = STARTUP_BUDGET_S
) -> httpx.Response:
    """Readiness once a live worker has the champion loaded (its `model` dependency)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = await client.get("/readiness")
        model = response.json().get("dependencies", {}).get("model", {})
        if model.get("status") == "ok" or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


def worker_task_count(settings: Settings, task: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics").text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "worker_tasks_total" and s.labels["task"] == task
    )


async def test_readiness_reports_the_champion_once_a_worker_loaded_it(
    client: httpx.AsyncClient,
) -> None:
    response = await eventually_ready(client)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body["checks"]) == {"process", "database"}
    assert set(body["dependencies"]) == {"broker", "workers", "model"}
    assert all(result["status"] == "ok" for result in body["dependencies"].values()), body
    assert body["dependencies"]["model"]["detail"].startswith("champion version 1 loaded by")


async def test_predictions_are_answered_by_the_worker_and_recorded(
    client: httpx.AsyncClient, app: FastAPI, stack: Settings
) -> None:
    response = await client.post("/api/v1/predictions", json={"texts": TEXTS})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "ticket-triage"
    assert body["version"] == 1
    labels = [p["label"] for p in body["predictions"]]
    assert labels == ["billing", "technical"]
    for prediction in body["predictions"]:
        assert set(prediction["probabilities"]) == set(stack.model_labels)
        assert abs(sum(prediction["probabilities"].values()) - 1) < 1e-4
        assert prediction["confidence"] == max(prediction["probabilities"].values())

    await app.state.services.predictions.records.flush()
    async with app.state.services.database.session() as session:
        ids = [p["id"] for p in body["predictions"]]
        rows = (await session.scalars(select(Prediction))).all()
    recorded = {str(row.id): row for row in rows}
    assert set(ids) <= set(recorded)
    row = recorded[ids[0]]
    assert row.version == 1
    assert row.input_length == len(TEXTS[0])
    assert row.input_text is None  # store_inputs is off by default
    assert row.shadow is False


async def test_a_burst_is_scored_in_fewer_tasks_than_requests(
    client: httpx.AsyncClient, stack: Settings
) -> None:
    before = worker_task_count(stack, "inference.predict")
    requests = 40
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/predictions", json={"texts": [f"refund my order {i}"]})
            for i in range(requests)
        )
    )
    assert all(r.status_code == 200 for r in responses)

    async def tasks_run() -> float:  # the worker counts a task once it has finished
        return worker_task_count(stack, "inference.predict") - before

    tasks = await eventually(tasks_run, lambda n: n >= 1)
    assert tasks < requests


async def test_feedback_is_recorded_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    body = (await client.post("/api/v1/predictions", json={"texts": TEXTS[:1]})).json()
    prediction_id = body["predictions"][0]["id"]
    await app.state.services.predictions.records.flush()
    url = f"/api/v1/predictions/{prediction_id}/feedback"

    first = await client.post(url, json={"label": "refund"})
    assert first.status_code == 200
    assert first.json()["correct"] is False
    assert (await client.post(url, json={"label": "refund"})).status_code == 200
    conflict = await client.post(url, json={"label": "billing"})
    assert conflict.status_code == 409
    unknown_label = await client.post(url, json={"label": "astrology"})
    assert unknown_label.status_code == 422
    missing = await client.post(
        "/api/v1/predictions/00000000-0000-0000-0000-000000000000/feedback",
        json={"label": "refund"},
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"texts": []}, "texts"),
        ({"texts": [""]}, "texts"),
        ({"texts": ["   "]}, "texts"),
        ({"texts": ["ok"] * 65}, "texts"),
        ({"texts": ["x" * 2001]}, "texts"),
        ({"text": "wrong field"}, "text"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/predictions", json=payload)
    assert response.status_code == 422
    assert field in response.json()["detail"]


async def test_the_challenger_gets_its_share_and_shadows_the_rest(
    client: httpx.AsyncClient, app: FastAPI, stack: Settings, model_cache: ModelCache
) -> None:
    url = f"/api/v1/models/{stack.model_name}/traffic"
    assert (await client.put(url, json={"challenger_weight": 10})).status_code == 422  # none yet
    challenger = await install_version(stack, model_cache, alias="challenger")
    policy = await client.put(url, json={"challenger_weight": 50, "shadow_sample": 1.0})
    assert policy.status_code == 200
    assert policy.json()["challenger"] == challenger

    versions = {}
    for key in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"):
        answers = [
            (
                await client.post(
                    "/api/v1/predictions", json={"texts": TEXTS[:1]}, headers={"X-Routing-Key": key}
                )
            ).json()["version"]
            for _ in range(2)
        ]
        assert answers[0] == answers[1]  # sticky
        versions[key] = answers[0]
    assert set(versions.values()) == {1, challenger}

    async def shadow_rows() -> Sequence[Prediction]:  # shadow tasks are fire-and-forget
        async with app.state.services.database.session() as session:
            rows: Sequence[Prediction] = (
                await session.scalars(select(Prediction).where(Prediction.shadow))
            ).all()
        return rows

    shadows = await eventually(shadow_rows, bool)
    assert {row.version for row in shadows} == {challenger}
    await client.put(url, json={"challenger_weight": 0, "shadow_sample": 0.0})


async def test_a_tampered_champion_is_refused_with_the_reason_and_the_api_stays_ready(
    client: httpx.AsyncClient, stack: Settings, model_cache: ModelCache
) -> None:
    ready = await eventually_ready(client)
    assert ready.status_code == 200, ready.json()
    version = await install_version(stack, model_cache, alias=None)
    weights = stack.artifact_root / stack.model_name / str(version) / "weights.npy"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte
    weights.write_bytes(bytes(data))
    url = f"/api/v1/models/{stack.model_name}/aliases/champion"
    promoted = await client.put(
        url, json={"version": version, "reason": "promote a tampered artifact"}
    )
    assert promoted.status_code == 200

    try:
        # The workers try to load it and refuse it: predictions answer 503 naming the reason
        # (never another version's answer, never a 504) ...
        answer = await eventually(
            lambda: client.post("/api/v1/predictions", json={"texts": TEXTS[:1]}),
            lambda r: r.status_code == 503,
        )
        detail = answer.json()["detail"]
        assert f"version {version} of '{stack.model_name}' is refused: artifact" in detail
        assert "weights.npy sha256" in detail
        assert answer.headers["retry-after"]
        # ... and readiness stays 200 (sign-in, the registry, the docs still work) and says why.
        readiness = await eventually(  # once the refusal is in a heartbeat
            lambda: client.get("/readiness"),
            lambda r: "is refused" in (r.json()["dependencies"]["model"]["error"] or ""),
        )
        assert readiness.status_code == 200
        error = readiness.json()["dependencies"]["model"]["error"]
        assert f"champion version {version} is refused by the workers" in error
        assert "weights.npy sha256" in error
    finally:  # the next test needs a good champion
        rollback = await client.put(url, json={"version": 1, "reason": "back to a good version"})
    assert rollback.status_code == 200
    good = await eventually(
        lambda: client.post("/api/v1/predictions", json={"texts": TEXTS[:1]}),
        lambda r: r.status_code == 200,
    )
    assert good.json()["version"] == 1


async def test_an_overloaded_api_sheds_predictions_with_503_and_retry_after(
    stack: Settings,
) -> None:
    # One text per task, one task at a time, one text allowed to wait: a burst overflows.
    tight = stack.model_copy(
        update={
            "batch_max_texts": 1,
            "batch_max_in_flight": 1,
            "batch_max_waiting_texts": 1,
            "batch_window_ms": 0.0,
        }
    )
    # The module's worker is already serving (the previous test rolled back to version 1).
    async with client_for(create_app(tight)) as client:
        burst = await asyncio.gather(
            *(client.post("/api/v1/predictions", json={"texts": [TEXTS[0]]}) for _ in range(20))
        )
    statuses = sorted(response.status_code for response in burst)
    assert 200 in statuses
    assert 503 in statuses
    assert set(statuses) == {200, 503}
    for response in burst:
        if response.status_code == 503:
            assert response.headers["retry-after"] == "1"
            assert "waiting for a worker" in response.json()["detail"]
