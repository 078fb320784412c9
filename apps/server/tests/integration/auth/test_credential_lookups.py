"""A crowd of requests with the same credentials looks them up once, not once each.

Under load, a cached API key or user state expired for every concurrent caller at once and
each ran the lookup (an API key's also writes its last use, so they queued on one row):
the API-key path's p99 was five times the token path's. Lifetimes of 0 make every request
a miss, so the count below is the number of lookups a crowd of misses costs.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from server.services.authentication import Authenticator
from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import bearer_for, create_user

CROWD = 32


@contextmanager
def statements_on(connection: AsyncConnection, table: str) -> Iterator[list[str]]:
    """SELECT statements reading `table` on the test's connection while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", record)


async def predict_key(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    """A new user holding `predict`, and an API key of theirs with it (the create answer)."""
    await create_user(client, email, scopes=["predict"])
    created = await client.post(
        "/api/v1/api-keys",
        json={"name": "crowd", "scopes": ["predict"]},
        headers=await bearer_for(client, email),
    )
    assert created.status_code == 201, created.text
    key: dict[str, Any] = created.json()
    return key


async def test_a_crowd_with_one_api_key_looks_it_up_once(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    settings = test_database.settings.model_copy(update={"api_key_cache_s": 0})
    app = build_app(settings, db_connection)
    async with client_for(app) as client:
        created = await predict_key(client, "crowd@example.com")
        secret = created["key"]
        authenticator: Authenticator = app.state.services.authenticator
        with statements_on(db_connection, "api_keys") as lookups:
            principals = await asyncio.gather(
                *(authenticator.authenticate(None, secret, "10.0.0.1") for _ in range(CROWD))
            )
        assert {p.api_key_id for p in principals} == {created["id"]}
        assert len(lookups) == 1, f"{len(lookups)} lookups for {CROWD} concurrent requests"


async def test_a_crowd_with_one_token_reads_its_user_once(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    settings = test_database.settings.model_copy(update={"auth_state_cache_s": 0})
    app = build_app(settings, db_connection)
    async with client_for(app) as client:
        await create_user(client, "crowd2@example.com", scopes=["predict"])
        token = (await bearer_for(client, "crowd2@example.com"))["Authorization"].split()[1]
        authenticator: Authenticator = app.state.services.authenticator
        with statements_on(db_connection, "refresh_tokens") as lookups:
            principals = await asyncio.gather(
                *(authenticator.authenticate(token, None, "10.0.0.1") for _ in range(CROWD))
            )
        assert len({p.user_id for p in principals}) == 1
        assert len(lookups) == 1, f"{len(lookups)} lookups for {CROWD} concurrent requests"


async def test_every_request_still_asks_while_nothing_may_be_cached(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    """With a lifetime of 0, requests one after the other each look the key up again."""
    settings = test_database.settings.model_copy(update={"api_key_cache_s": 0})
    app = build_app(settings, db_connection)
    async with client_for(app) as client:
        created = await predict_key(client, "crowd3@example.com")
        as_key = {"X-API-Key": created["key"], "Authorization": ""}
        with statements_on(db_connection, "api_keys") as lookups:
            for _ in range(3):
                answer = await client.get("/api/v1/models", headers=as_key)
                assert answer.status_code == 403, answer.text  # known key, scope missing
        assert len(lookups) == 3
