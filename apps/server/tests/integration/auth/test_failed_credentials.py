"""Failed credential checks are limited per client address (issue 12, item 7): a flood of
made-up API keys or broken tokens gets 429, not a database lookup each."""

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase

PROBER, HONEST = "203.0.113.9", "198.51.100.7"


@pytest.fixture
async def app(test_database: ProvisionedDatabase, db_connection: AsyncConnection) -> FastAPI:
    settings = test_database.settings.model_copy(
        update={"auth_failure_limit": 5, "auth_failure_window_s": 60}
    )
    return build_app(settings, db_connection)


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:  # runs the lifespan; requests from 127.0.0.1
        yield client


def from_address(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def random_key() -> dict[str, str]:
    return {"X-API-Key": "tt_" + secrets.token_urlsafe(32)}


async def test_random_api_keys_from_one_address_get_429_without_a_lookup_each(
    app: FastAPI, admin: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    queries: list[str] = []

    def count(*args: object) -> None:
        queries.append(str(args[2]))

    event.listen(db_connection.sync_connection, "before_cursor_execute", count)
    async with from_address(app, PROBER) as prober:
        statuses = [
            (await prober.get("/api/v1/models", headers=random_key())).status_code
            for _ in range(30)
        ]
        refused = await prober.get("/api/v1/models", headers=random_key())
    event.remove(db_connection.sync_connection, "before_cursor_execute", count)
    assert statuses == [401] * 5 + [429] * 25
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 12
    key_lookups = [q for q in queries if "api_keys" in q]
    assert 5 <= len(key_lookups) <= 6  # the five failures (and the one over), no more


async def test_broken_tokens_count_too_and_other_addresses_are_unaffected(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with from_address(app, PROBER) as prober:
        statuses = [
            (
                await prober.get(
                    "/api/v1/models", headers={"Authorization": f"Bearer not-a-jwt-{i}"}
                )
            ).status_code
            for i in range(7)
        ]
    assert statuses == [401] * 5 + [429] * 2
    # A valid credential from another address, and a wrong one there, are judged as usual.
    assert (await admin.get("/api/v1/models")).status_code == 200
    async with from_address(app, HONEST) as honest:
        assert (await honest.get("/api/v1/models", headers=random_key())).status_code == 401


async def test_no_credentials_at_all_cost_nothing_and_are_not_counted(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with from_address(app, PROBER) as prober:
        statuses = [(await prober.get("/api/v1/models")).status_code for _ in range(10)]
        then = await prober.get("/api/v1/models", headers=random_key())
    assert statuses == [401] * 10
    assert then.status_code == 401
