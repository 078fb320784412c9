"""The API's limits on Redis, as deployed: shared by every API process, and what happens
when Redis goes away (the API quota fails open, sign-in fails closed)."""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.config import Settings
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import sign_in
from server.tests.support.worker import redis_test_url

pytestmark = pytest.mark.skipif(
    redis_test_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1",
    reason="APP_TEST_REDIS_URL unset",
)


@pytest.fixture
async def redis_settings(test_database: ProvisionedDatabase) -> AsyncIterator[Settings]:
    url = redis_test_url()
    assert url, "set APP_TEST_REDIS_URL (CI does)"
    settings = test_database.settings.model_copy(
        update={
            "redis_url": url,
            "app_name": f"limits-{uuid.uuid4().hex[:8]}",
            "rate_limit_requests": 2,
            "rate_limit_lease": 1,  # exact: leases would let one process hold both hits
        }
    )
    yield settings
    client = Redis.from_url(url)
    async for key in client.scan_iter(f"{settings.app_name}:*"):
        await client.delete(key)
    await client.aclose()


async def test_two_api_processes_share_one_quota(redis_settings: Settings) -> None:
    async with (
        client_for(create_app(redis_settings)) as first,
        client_for(create_app(redis_settings)) as second,
    ):
        statuses = [
            (await first.get("/api/v1/models")).status_code,
            (await second.get("/api/v1/models")).status_code,
            (await first.get("/api/v1/models")).status_code,
        ]
    assert statuses == [200, 200, 429]


async def test_without_redis_the_quota_fails_open_and_sign_in_fails_closed(
    test_database: ProvisionedDatabase,
) -> None:
    unreachable = test_database.settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "rate_limit_requests": 1}
    )
    async with client_for(create_app(unreachable)) as client:
        reads = [(await client.get("/api/v1/models")).status_code for _ in range(3)]
        signing_in = await sign_in(client, "anyone@example.com")
    assert reads == [200, 200, 200]
    assert signing_in.status_code == 503
    assert signing_in.headers["content-type"] == "application/problem+json"


async def test_failed_credential_checks_share_one_budget_across_processes(
    redis_settings: Settings,
) -> None:
    settings = redis_settings.model_copy(update={"auth_failure_limit": 3})
    bad = {"X-API-Key": "tt_" + "B" * 43}
    async with (
        client_for(create_app(settings), authenticated=False) as first,
        client_for(create_app(settings), authenticated=False) as second,
    ):
        statuses = [
            (await client.get("/api/v1/models", headers=bad)).status_code
            for client in (first, second, first, second, first)
        ]
    assert statuses == [401, 401, 401, 429, 429]
