"""Revocation in one API process takes effect in another on its next request, through real
Redis pub/sub (issue 12, item 9). Two apps share one database and one Redis, as two pods do;
their caches are set to an hour, so only the published revocation can explain a refusal.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from server.config import Settings
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import create_user, sign_in
from server.tests.support.worker import redis_test_url

pytestmark = pytest.mark.skipif(
    redis_test_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1",
    reason="APP_TEST_REDIS_URL unset",
)


@pytest.fixture
def settings(test_database: ProvisionedDatabase) -> Settings:
    url = redis_test_url()
    assert url, "set APP_TEST_REDIS_URL (CI does)"
    return test_database.settings.model_copy(
        update={
            "redis_url": url,
            "app_name": f"revocation-{uuid.uuid4().hex[:8]}",
            "auth_state_cache_s": 3600,
            "api_key_cache_s": 3600,
        }
    )


class Heard:
    """The messages an app's revocation bus delivered, to wait on instead of sleeping."""

    def __init__(self, app: FastAPI) -> None:
        self.messages: list[str] = []
        self.changed = asyncio.Event()
        app.state.services.revocations.subscribe(self._record)

    def _record(self, message: str) -> None:
        self.messages.append(message)
        self.changed.set()

    async def wait_for(self, message: str, timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s):
            while message not in self.messages:
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def two_processes(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Heard]]:
    first_app, second_app = create_app(settings), create_app(settings)
    async with client_for(first_app) as first, client_for(second_app) as second:
        assert first_app.state.services.revocations.listening
        assert second_app.state.services.revocations.listening
        yield first, second, Heard(second_app)


async def test_disabling_in_one_process_refuses_the_token_and_key_in_the_other(
    settings: Settings,
) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    async with two_processes(settings) as (first, second, heard):
        user = await create_user(first, email)
        token = (await sign_in(first, email)).json()["access_token"]
        as_user = {"Authorization": f"Bearer {token}"}
        created = await first.post(
            "/api/v1/api-keys", json={"name": "ci", "scopes": ["jobs"]}, headers=as_user
        )
        as_key = {"X-API-Key": created.json()["key"], "Authorization": ""}
        assert (await second.get("/api/v1/users/me", headers=as_user)).status_code == 200
        assert (await second.get("/api/v1/jobs", headers=as_key)).status_code == 200

        disabled = await first.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
        assert disabled.status_code == 200
        await heard.wait_for(f"user:{user['id']}")
        assert (await second.get("/api/v1/users/me", headers=as_user)).status_code == 401
        assert (await second.get("/api/v1/jobs", headers=as_key)).status_code == 401


async def test_revoking_a_key_or_signing_out_in_one_process_applies_in_the_other(
    settings: Settings,
) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    async with two_processes(settings) as (first, second, heard):
        user = await create_user(first, email)
        signed_in = (await sign_in(first, email)).json()
        as_user = {"Authorization": f"Bearer {signed_in['access_token']}"}
        created = (
            await first.post(
                "/api/v1/api-keys", json={"name": "ci", "scopes": ["jobs"]}, headers=as_user
            )
        ).json()
        as_key = {"X-API-Key": created["key"], "Authorization": ""}
        assert (await second.get("/api/v1/jobs", headers=as_key)).status_code == 200

        revoked = await first.delete(f"/api/v1/api-keys/{created['id']}", headers=as_user)
        assert revoked.status_code == 204
        await heard.wait_for(f"key:{created['id']}")
        assert (await second.get("/api/v1/jobs", headers=as_key)).status_code == 401

        assert (await second.get("/api/v1/users/me", headers=as_user)).status_code == 200
        out = await first.post(
            "/api/v1/auth/logout", json={"refresh_token": signed_in["refresh_token"]}
        )
        assert out.status_code == 204
        here = await first.get("/api/v1/users/me", headers=as_user)
        assert here.status_code == 401  # refused at once where it happened
        await heard.wait_for(f"user:{user['id']}")
        assert (await second.get("/api/v1/users/me", headers=as_user)).status_code == 401


async def test_without_redis_credentials_are_checked_against_the_database_each_time(
    test_database: ProvisionedDatabase,
) -> None:
    unreachable = test_database.settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "auth_state_cache_s": 3600}
    )
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    async with (
        client_for(create_app(unreachable)) as first,
        client_for(create_app(unreachable)) as second,
    ):
        user = await create_user(first, email)
        # Sign-in fails closed without Redis: a token minted as sign-in would mint it.
        as_user = bearer_headers(unreachable, subject=user["id"])
        assert (await second.get("/api/v1/users/me", headers=as_user)).status_code == 200
        await first.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
        # No bus to hear it on, so the other process trusts no cache: refused all the same.
        assert (await second.get("/api/v1/users/me", headers=as_user)).status_code == 401
