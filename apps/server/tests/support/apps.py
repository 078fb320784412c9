"""The app under test and an HTTP client of it, run in-process with its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.config import Settings
from server.main import create_app
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import TransactionalDatabase


def build_app(settings: Settings, connection: AsyncConnection | None = None) -> FastAPI:
    """The app; inside the test's transaction when `connection` is given."""
    database = TransactionalDatabase(connection) if connection is not None else None
    return create_app(settings, database)


@asynccontextmanager
async def client_for(
    app: FastAPI, *, authenticated: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` with its lifespan run, as a server would run it.

    It signs its requests as an administrator holding every scope unless `authenticated`
    is false; tests of authorization pass their own credentials per request.
    """
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = bearer_headers(app.state.services.settings) if authenticated else {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client,
    ):
        yield client
