"""Batch jobs through the API, a real broker and a real worker process."""

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.config import Settings
from server.database.base import utcnow
from server.database.models import BatchJob, JobStatus
from server.main import create_app
from server.services import job_runner
from server.tests.support.apps import client_for
from server.tests.support.models import ModelCache
from server.tests.support.serving import (
    broker_backends,
    champion_stack,
)

TEXTS = ["charged twice for my plan", "parcel never arrived", "cannot reset my password"]


@pytest.fixture(scope="module", params=broker_backends())
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp(f"jobs-{request.param}")
    with champion_stack(request.param, tmp, "batch", model_cache) as settings:
        yield settings.model_copy(update={"jobs_chunk_size": 100})


async def finished(client: httpx.AsyncClient, location: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = (await client.get(location)).json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return body
        await asyncio.sleep(0.1)
    raise TimeoutError(location)


async def job_count(app: FastAPI) -> int:
    async with app.state.services.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(BatchJob)) or 0)


async def test_a_json_job_is_scored_and_streams_its_results(client: httpx.AsyncClient) -> None:
    items = [{"text": TEXTS[i % 3], "id": f"t-{i}"} for i in range(450)]
    response = await client.post("/api/v1/jobs", json={"items": items})
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    job = await finished(client, location)
    assert job["status"] == "succeeded"
    assert (job["total"], job["processed"], job["progress"]) == (450, 450, 100.0)
    assert job["version"] == 1

    lines = (await client.get(f"{location}/results")).text.splitlines()
    results = [json.loads(line) for line in lines]
    assert [r["position"] for r in results] == list(range(450))
    assert results[0]["id"] == "t-0"
    assert results[0]["label"] == "billing"
    assert results[1]["label"] == "shipping"

    as_csv = list(
        csv.reader(io.StringIO((await client.get(f"{location}/results?format=csv")).text))
    )
    assert as_csv[0] == ["position", "id", "label", "confidence", "version"]
    assert len(as_csv) == 451


async def test_the_idempotency_key_returns_the_same_job(client: httpx.AsyncClient) -> None:
    body = {"items": [{"text": t} for t in TEXTS]}
    headers = {"Idempotency-Key": "order-42"}
    first = await client.post("/api/v1/jobs", json=body, headers=headers)
    again = await client.post("/api/v1/jobs", json=body, headers=headers)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = await client.post("/api/v1/jobs", json={"items": [{"text": "else"}]}, headers=headers)
    assert other.status_code == 409


async def test_concurrent_repeats_of_one_key_make_one_job(client: httpx.AsyncClient) -> None:
    body = {"items": [{"text": t} for t in TEXTS]}
    headers = {"Idempotency-Key": "burst-7"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/jobs", json=body, headers=headers) for _ in range(5))
    )
    assert {a.status_code for a in answers} <= {200, 202}
    assert len({a.json()["id"] for a in answers}) == 1


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("tickets.csv", b"id,text\n1,refund please\n2,app crashes\n", "text/csv"),
        ("tickets.jsonl", b'{"text": "refund please"}\n{"text": "app crashes", "id": 7}\n', ""),
    ],
)
async def test_an_uploaded_file_becomes_a_job(
    client: httpx.AsyncClient, name: str, content: bytes, kind: str
) -> None:
    response = await client.post("/api/v1/jobs", files={"file": (name, content, kind)})
    assert response.status_code == 202, response.text
    job = await finished(client, response.headers["location"])
    assert (job["status"], job["total"]) == ("succeeded", 2)


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ({"file": ("t.csv", b"id,body\n1,hello\n", "text/csv")}, 422, "no `text` column"),
        ({"file": ("t.csv", b"text\n\xff\xfe bad\n", "text/csv")}, 422, "not UTF-8"),
        ({"file": ("t.csv", b"text\nok\n   \n", "text/csv")}, 422, "line 3"),
        ({"file": ("t.jsonl", b'{"text": "ok"}\nnot json\n', "application/jsonl")}, 422, "line 2"),
        ({"file": ("t.xlsx", b"PK...", "application/vnd.ms-excel")}, 415, "CSV"),
    ],
)
async def test_bad_uploads_are_refused_and_leave_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    files: dict[str, tuple[str, bytes, str]],
    status: int,
    message: str,
) -> None:
    before = await job_count(app)
    response = await client.post("/api/v1/jobs", files=files)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert await job_count(app) == before


async def test_a_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/jobs", content=b"text\nhello\n", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415


async def test_too_many_items_is_422(client: httpx.AsyncClient, stack: Settings) -> None:
    app = create_app(stack.model_copy(update={"jobs_max_rows": 2}))
    async with client_for(app) as small:
        response = await small.post("/api/v1/jobs", json={"items": [{"text": t} for t in TEXTS]})
    assert response.status_code == 422
    assert "at most 2" in response.json()["detail"]


async def test_a_finished_job_cannot_be_cancelled_and_strangers_get_404(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/jobs", json={"items": [{"text": "hello"}]})
    location = response.headers["location"]
    await finished(client, location)
    assert (await client.delete(location)).status_code == 409
    assert (
        await client.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000")
    ).status_code == 404


async def test_the_sweeper_sends_stuck_jobs_again(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post("/api/v1/jobs", json={"items": [{"text": "hello"}]})
    await finished(client, response.headers["location"])
    async with app.state.services.database.session() as session:
        job = await session.get_one(BatchJob, uuid.UUID(response.json()["id"]))
        job.status, job.enqueued_at = JobStatus.queued, utcnow() - timedelta(hours=1)
        await session.commit()
    sent = await job_runner.sweep_stuck_jobs(
        app.state.services.database, app.state.services.celery, app.state.services.settings
    )
    assert sent == 1
    job_body = await finished(client, response.headers["location"])
    assert job_body["status"] == "succeeded"
