"""API keys: a subset of the owner's scopes, shown once, stored hashed, revocable, expiring."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from server.database.auth_models import ApiKey
from server.tests.support.auth import bearer_headers
from server.tests.support.users import bearer_for, create_user


async def _key(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await client.post("/api/v1/api-keys", json={"name": "ci", **body}, headers=headers)


async def test_a_key_works_with_its_scopes_and_is_stored_as_a_digest(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await create_user(client, "ka@example.com", scopes=["predict", "jobs", "models:read"])
    user = await bearer_for(client, "ka@example.com")
    created = await _key(client, user, scopes=["models:read"])
    assert created.status_code == 201
    secret = created.json()["key"]
    assert secret.startswith(created.json()["prefix"])
    assert created.headers["cache-control"] == "no-store"

    as_key = {"X-API-Key": secret, "Authorization": ""}
    assert (await client.get("/api/v1/models", headers=as_key)).status_code == 200
    refused = await client.get("/api/v1/jobs", headers=as_key)
    assert refused.status_code == 403

    async with app.state.services.database.session() as session:
        stored = await session.scalar(select(ApiKey))
    assert stored is not None
    assert secret not in (stored.key_sha256, stored.prefix)
    assert stored.last_used_at is not None
    listed = (await client.get("/api/v1/api-keys", headers=user)).json()
    assert "key" not in listed["items"][0]


async def test_a_key_cannot_carry_scopes_its_owner_lacks(client: httpx.AsyncClient) -> None:
    await create_user(client, "kb@example.com", scopes=["predict"])
    response = await _key(client, await bearer_for(client, "kb@example.com"), scopes=["jobs"])
    assert response.status_code == 422
    assert "not held: jobs" in response.json()["detail"]


async def test_a_revoked_key_stops_working(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.state.services.authenticator.settings = app.state.services.settings.model_copy(
        update={"api_key_cache_s": 0}
    )
    await create_user(client, "kc@example.com", scopes=["models:read"])
    user = await bearer_for(client, "kc@example.com")
    created = (await _key(client, user, scopes=["models:read"])).json()
    as_key = {"X-API-Key": created["key"], "Authorization": ""}
    assert (await client.get("/api/v1/models", headers=as_key)).status_code == 200
    revoked = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=user)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/models", headers=as_key)).status_code == 401


async def test_an_expired_key_is_refused_and_a_past_expiry_is_invalid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await create_user(client, "kd@example.com", scopes=["models:read"])
    user = await bearer_for(client, "kd@example.com")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert (await _key(client, user, scopes=["models:read"], expires_at=past)).status_code == 422
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = (await _key(client, user, scopes=["models:read"], expires_at=soon)).json()
    async with app.state.services.database.session() as session:
        key = await session.get(ApiKey, uuid.UUID(created["id"]))
        assert key is not None
        key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        await session.commit()
    response = await client.get(
        "/api/v1/models", headers={"X-API-Key": created["key"], "Authorization": ""}
    )
    assert response.status_code == 401


async def test_keys_are_managed_only_with_a_user_token(client: httpx.AsyncClient) -> None:
    await create_user(client, "ke@example.com", scopes=["models:read"])
    user = await bearer_for(client, "ke@example.com")
    created = (await _key(client, user, scopes=["models:read"])).json()
    as_key = {"X-API-Key": created["key"], "Authorization": ""}
    assert (await _key(client, as_key, scopes=["models:read"])).status_code == 403


async def test_another_users_key_is_not_found(client: httpx.AsyncClient) -> None:
    await create_user(client, "kf@example.com", scopes=["predict"])
    await create_user(client, "kg@example.com", scopes=["predict"])
    owner = await bearer_for(client, "kf@example.com")
    other = await bearer_for(client, "kg@example.com")
    created = (await _key(client, owner, scopes=["predict"])).json()
    assert (await client.get("/api/v1/api-keys", headers=other)).json()["total"] == 0
    response = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=other)
    assert response.status_code == 404
    # The administrator (the default client) sees and may revoke every key.
    assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204


async def test_a_token_whose_subject_is_no_user_lists_no_keys_and_creates_none(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = bearer_headers(
        app.state.services.settings, subject="not-a-user-id", scopes=["predict"]
    )
    listed = await client.get("/api/v1/api-keys", headers=headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "total": 0}
    created = await _key(client, headers, scopes=["predict"])
    assert created.status_code == 401
