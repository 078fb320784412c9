"""Sign-in backoff through the app: failures slow down the address that makes them, and
nobody can lock the owner out (issue 12, item 2)."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import PASSWORD, create_user, sign_in

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"
From = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def app(test_database: ProvisionedDatabase, db_connection: AsyncConnection) -> FastAPI:
    settings = test_database.settings.model_copy(
        update={
            "login_free_failures": 3,
            "login_address_free_failures": 5,
            "login_backoff_base_s": 60,
            "login_backoff_max_s": 600,
        }
    )
    return build_app(settings, db_connection)


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


@pytest.fixture
def from_address(app: FastAPI, admin: httpx.AsyncClient) -> From:
    """A client of the running app whose requests come from `address`."""

    def build(address: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    return build


async def test_failing_on_purpose_does_not_lock_the_owner_out(
    admin: httpx.AsyncClient, from_address: From
) -> None:
    await create_user(admin, "root@example.com")
    async with from_address(ATTACKER) as attacker, from_address(OWNER) as owner:
        statuses = [
            (await sign_in(attacker, "root@example.com", "Wrong-Pass-1234")).status_code
            for _ in range(4)
        ]
        # Even the right password waits now, from the address that failed.
        slowed = await sign_in(attacker, "root@example.com", PASSWORD)
        # The owner, from an address with no failures, is let straight through.
        signed_in = await sign_in(owner, "root@example.com", PASSWORD)
    assert statuses == [401, 401, 401, 429]
    assert slowed.status_code == 429
    assert slowed.headers["content-type"] == "application/problem+json"
    assert 55 <= int(slowed.headers["retry-after"]) <= 60
    assert signed_in.status_code == 200, signed_in.text


async def test_unknown_accounts_are_slowed_like_real_ones(from_address: From) -> None:
    async with from_address(ATTACKER) as attacker:
        statuses = [(await sign_in(attacker, "ghost@example.com")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


async def test_one_address_failing_on_many_accounts_is_slowed(from_address: From) -> None:
    async with from_address(ATTACKER) as attacker, from_address(OWNER) as other:
        statuses = [
            (await sign_in(attacker, f"victim{i}@example.com")).status_code for i in range(6)
        ]
        elsewhere = await sign_in(other, "victim0@example.com")
    assert statuses == [401] * 5 + [429]
    assert elsewhere.status_code == 401  # another address is still heard
