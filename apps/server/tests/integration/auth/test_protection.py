"""Brute force, rate limits, ownership, hostile input, headers: each attack, one test."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from server.database.serving_models import Prediction
from server.main import create_app
from server.tests.support.apps import build_app, client_for
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import PASSWORD, bearer_for, create_user, sign_in
from server.tests.unit.core.security.test_tokens import hs256_token, rsa_pair


@pytest.fixture
async def strict_client(
    test_database: ProvisionedDatabase,
    db_connection: AsyncConnection,
    request: pytest.FixtureRequest,
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with small limits (given by the test's `limits` marker)."""
    marker = request.node.get_closest_marker("limits")
    overrides: dict[str, Any] = marker.kwargs if marker else {}
    app = build_app(test_database.settings.model_copy(update=overrides), db_connection)
    async with client_for(app) as client:
        yield client


@pytest.mark.limits(login_rate_limit_ip=4, login_address_free_failures=100)
async def test_one_address_trying_many_accounts_is_rate_limited(
    strict_client: httpx.AsyncClient,
) -> None:
    statuses = [(await sign_in(strict_client, f"u{i}@example.com")).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


@pytest.mark.limits(rate_limit_requests=3, rate_limit_window_s=60)
async def test_a_caller_over_its_quota_gets_429_with_retry_after(
    strict_client: httpx.AsyncClient,
) -> None:
    statuses = [(await strict_client.get("/api/v1/models")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = await strict_client.get("/api/v1/models")
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= 20


async def test_another_users_job_and_prediction_answer_404(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    owner = await create_user(client, "oa@example.com", scopes=["jobs", "predict"])
    await create_user(client, "ob@example.com", scopes=["jobs", "predict"])
    as_owner = await bearer_for(client, "oa@example.com")
    as_other = await bearer_for(client, "ob@example.com")
    submitted = await client.post(
        "/api/v1/jobs", json={"items": [{"text": "refund please"}]}, headers=as_owner
    )
    assert submitted.status_code == 202
    job = submitted.headers["location"]
    assert (await client.get(job, headers=as_owner)).status_code == 200
    for method in ("GET", "DELETE"):
        assert (await client.request(method, job, headers=as_other)).status_code == 404
    assert (await client.get(f"{job}/results", headers=as_other)).status_code == 404
    assert (await client.get("/api/v1/jobs", headers=as_other)).json()["total"] == 0
    assert (await client.get("/api/v1/jobs", headers=as_owner)).json()["total"] == 1

    prediction = Prediction(
        model_name="ticket-triage",
        version=1,
        label="refund",
        confidence=0.9,
        probabilities={"refund": 0.9},
        latency_ms=1.0,
        input_length=5,
        input_sha256="0" * 64,
        requested_by=owner["id"],
    )
    async with app.state.services.database.session() as session:
        session.add(prediction)
        await session.commit()
    url = f"/api/v1/predictions/{prediction.id}/feedback"
    assert (await client.post(url, json={"label": "billing"}, headers=as_other)).status_code == 404
    assert (await client.post(url, json={"label": "billing"}, headers=as_owner)).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        "'; DROP TABLE batch_jobs; --",
        "1 OR 1=1; SELECT * FROM users",
        '<script>alert("x")</script>',
        "<img src=x onerror=alert(1)>",
    ],
)
async def test_injection_payloads_are_stored_as_data(
    client: httpx.AsyncClient, payload: str
) -> None:
    submitted = await client.post(
        "/api/v1/jobs", json={"items": [{"id": payload, "text": payload}]}
    )
    assert submitted.status_code == 202
    assert (await client.get("/api/v1/jobs")).json()["total"] >= 1  # the table is intact
    reason = await client.post(
        "/api/v1/users",
        json={
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
            "full_name": f"x {payload}",
        },
    )
    assert reason.status_code == 201
    assert "<" not in reason.json()["full_name"]


async def test_an_oversized_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/users",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_an_rs256_service_refuses_hs256_signed_with_its_public_key(
    test_database: ProvisionedDatabase,
) -> None:
    private, public = rsa_pair()
    settings = test_database.settings.model_copy(
        update={
            "jwt_algorithm": "RS256",
            "jwt_private_key": SecretStr(private),
            "jwt_public_key": public,
        }
    )
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "attacker",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "x",
        "scope": "users:admin",
    }
    forged = {"Authorization": f"Bearer {hs256_token(public, claims)}"}
    genuine = bearer_headers(settings, scopes=["models:read"])
    async with client_for(create_app(settings), authenticated=False) as client:
        refused = await client.get("/api/v1/users", headers=forged)
        accepted = await client.get("/api/v1/users", headers=genuine)
    assert refused.status_code == 401
    assert "algorithm" in refused.json()["detail"]
    assert accepted.status_code == 403  # genuine RS256 token, but without users:admin
