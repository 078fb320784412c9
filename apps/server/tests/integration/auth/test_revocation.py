"""Credentials do not outlive their owner (issue 12, item 9): disabling, deleting, signing
out and revoking take effect on the next request, however long tokens live and caches last.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.tests.support.apps import build_app, client_for
from server.tests.support.auth import ADMIN_ID, bearer_headers
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import PASSWORD, create_user, sign_in

NEW_PASSWORD = "Another-Horse-Battery-7"
ME = "/api/v1/users/me"


@pytest.fixture
async def app(test_database: ProvisionedDatabase, db_connection: AsyncConnection) -> FastAPI:
    # Caches far longer than any test: only revocation can explain a refusal.
    settings = test_database.settings.model_copy(
        update={"auth_state_cache_s": 3600, "api_key_cache_s": 3600}
    )
    return build_app(settings, db_connection)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


async def _session(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await sign_in(client, email)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    body["headers"] = {"Authorization": f"Bearer {body['access_token']}"}
    return body


async def _key(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    created = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["jobs"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["key"], "Authorization": ""}


async def _status(client: httpx.AsyncClient, headers: dict[str, str], url: str = ME) -> int:
    return (await client.get(url, headers=headers)).status_code


# A well-formed UUID that names no user (fixed: parallel runs must collect the same ids).
@pytest.mark.parametrize("subject", ["not-a-user-id", "5f0c1d2e-3b4a-4c5d-8e6f-708192a3b4c5"])
async def test_a_token_whose_subject_is_no_user_is_refused_everywhere(
    client: httpx.AsyncClient, app: FastAPI, subject: str
) -> None:
    headers = bearer_headers(app.state.services.settings, subject=subject)
    predicted = await client.post(
        "/api/v1/predictions", json={"texts": ["refund please"]}, headers=headers
    )
    assert predicted.status_code == 401
    assert await _status(client, headers, "/api/v1/jobs") == 401
    assert await _status(client, headers, "/api/v1/api-keys") == 401
    assert "no longer exists" in predicted.json()["detail"]


async def test_disabling_a_user_refuses_its_tokens_and_keys_on_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client, "ra@example.com")
    session = await _session(client, "ra@example.com")
    key = await _key(client, session["headers"])
    assert await _status(client, session["headers"]) == 200
    assert await _status(client, key, "/api/v1/jobs") == 200  # both now cached

    disabled = await client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert await _status(client, session["headers"]) == 401
    assert await _status(client, key, "/api/v1/jobs") == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert (await sign_in(client, "ra@example.com")).status_code == 401

    # Enabled again, the old tokens stay dead; signing in works.
    await client.patch(f"/api/v1/users/{user['id']}", json={"is_active": True})
    assert await _status(client, session["headers"]) == 401
    assert await _status(client, (await _session(client, "ra@example.com"))["headers"]) == 200


async def test_deleting_a_user_refuses_its_credentials_on_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client, "rb@example.com")
    session = await _session(client, "rb@example.com")
    key = await _key(client, session["headers"])
    assert await _status(client, session["headers"]) == 200
    assert await _status(client, key, "/api/v1/jobs") == 200

    assert (await client.delete(f"/api/v1/users/{user['id']}")).status_code == 204
    assert await _status(client, session["headers"]) == 401
    assert await _status(client, key, "/api/v1/jobs") == 401
    assert (await client.delete(f"/api/v1/users/{user['id']}")).status_code == 404


async def test_signing_out_refuses_that_sessions_access_token_only(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "rc@example.com")
    laptop = await _session(client, "rc@example.com")
    phone = await _session(client, "rc@example.com")
    assert await _status(client, laptop["headers"]) == 200
    out = await client.post("/api/v1/auth/logout", json={"refresh_token": laptop["refresh_token"]})
    assert out.status_code == 204
    assert await _status(client, laptop["headers"]) == 401
    assert await _status(client, phone["headers"]) == 200


async def test_sign_out_everywhere_and_a_new_password_refuse_every_token(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client, "rd@example.com")
    laptop = await _session(client, "rd@example.com")
    phone = await _session(client, "rd@example.com")
    assert (await client.delete(f"/api/v1/users/{user['id']}/sessions")).status_code == 204
    assert await _status(client, laptop["headers"]) == 401
    assert await _status(client, phone["headers"]) == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}
    )
    assert refreshed.status_code == 401

    again = await _session(client, "rd@example.com")
    changed = await client.patch(f"/api/v1/users/{user['id']}", json={"password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert await _status(client, again["headers"]) == 401
    assert (await sign_in(client, "rd@example.com", PASSWORD)).status_code == 401
    assert (await sign_in(client, "rd@example.com", NEW_PASSWORD)).status_code == 200


async def test_scopes_taken_away_apply_on_the_next_request(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "re@example.com", scopes=["jobs", "models:read"])
    session = await _session(client, "re@example.com")
    assert await _status(client, session["headers"], "/api/v1/jobs") == 200
    await client.patch(f"/api/v1/users/{user['id']}", json={"scopes": ["models:read"]})
    assert await _status(client, session["headers"], "/api/v1/jobs") == 403
    assert await _status(client, session["headers"], "/api/v1/models") == 200


async def test_user_administration_refuses_nonsense(client: httpx.AsyncClient) -> None:
    yourself = f"/api/v1/users/{ADMIN_ID}"
    assert (await client.patch(yourself, json={"is_active": False})).status_code == 409
    assert (await client.delete(yourself)).status_code == 409
    missing = f"/api/v1/users/{uuid.uuid4()}"
    assert (await client.patch(missing, json={"is_active": False})).status_code == 404
    assert (await client.delete(missing)).status_code == 404
    assert (await client.delete(f"{missing}/sessions")).status_code == 404
    user = await create_user(client, "rf@example.com")
    weak = await client.patch(f"/api/v1/users/{user['id']}", json={"password": "short"})
    assert weak.status_code == 422
    assert (await client.patch(yourself, json={"full_name": "Root"})).json()["full_name"] == "Root"
