"""Shared fixtures: settings, a migrated database per backend, and an app per test.

The suite runs on SQLite always and on PostgreSQL as well when `APP_TEST_DATABASE_URL`
names a server (an admin URL: each run creates and drops a database of its own there).
`APP_TEST_REQUIRE_POSTGRES=1` (set by CI) turns a missing or unreachable server into a
failure instead of a skip, so CI cannot pass on SQLite alone.

Isolation: tests that touch the database run inside a transaction that is rolled back;
the app's sessions join it through savepoints, so a handler's `commit()` stays private
to the test.
"""

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from server.config import Settings
from server.database.session import Database, create_engine
from server.main import create_app
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import (
    ProvisionedDatabase,
    postgres_admin_url,
    provision_database,
)

SettingsFactory = Callable[..., Settings]

BACKENDS = ["sqlite", "postgres"]


def postgres_param() -> Any:
    if postgres_admin_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1":
        return pytest.param(
            "postgres", marks=pytest.mark.skip(reason="APP_TEST_DATABASE_URL is not set")
        )
    return pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="session")
def make_settings(tmp_root: Path) -> SettingsFactory:
    """Settings for tests: `env=test`, everything local, overridable per test."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "test",
            "database_url": f"sqlite+aiosqlite:///{tmp_root / 'default.db'}",
            "log_json": True,
            "embedded_broker_dir": tmp_root / "broker",
            "artifact_root": tmp_root / "artifacts",
            # Cheap hashing: the policy is what tests check, not argon2's cost.
            "argon2_time_cost": 1,
            "argon2_memory_kib": 1024,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


@pytest.fixture(scope="session", params=["sqlite", postgres_param()])
def test_database(request: pytest.FixtureRequest, tmp_root: Path) -> Iterator[ProvisionedDatabase]:
    """A freshly migrated database on each backend, shared by the session."""
    with provision_database(request.param, tmp_root) as database:
        yield database


@pytest.fixture
async def db_connection(test_database: ProvisionedDatabase) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(test_database.settings)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()
    await engine.dispose()


class TransactionalDatabase(Database):
    """A `Database` whose sessions join the test's outer transaction through savepoints."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection.engine)
        self.sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    async def dispose(self) -> None:
        """The engine belongs to the fixture, which disposes of it."""


@pytest.fixture
async def db_session(db_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    database = TransactionalDatabase(db_connection)
    async with database.session() as session:
        yield session


def build_app(settings: Settings, connection: AsyncConnection | None = None) -> FastAPI:
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


@pytest.fixture
async def app(test_database: ProvisionedDatabase, db_connection: AsyncConnection) -> FastAPI:
    """The app on the parametrized backend, inside the test's transaction."""
    return build_app(test_database.settings, db_connection)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


@pytest.fixture
async def plain_client(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A client for tests that do not touch the database (one backend is enough)."""
    app = create_app(make_settings())
    async with client_for(app) as http:
        yield http
    await app.state.services.database.dispose()
