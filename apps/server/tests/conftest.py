"""Shared fixtures: settings, a migrated database per backend, an app per test, models.

The suite runs on SQLite always and on PostgreSQL as well when `APP_TEST_DATABASE_URL`
names a server (an admin URL: each run creates and drops a database of its own there).
`APP_TEST_REQUIRE_POSTGRES=1` (set by CI) turns a missing or unreachable server into a
failure instead of a skip, so CI cannot pass on SQLite alone.

Isolation: tests that touch the database run inside a transaction that is rolled back;
the app's sessions join it through savepoints, so a handler's `commit()` stays private
to the test.

Helpers live in `tests/support/`, one module per concern; this file holds fixtures only.
"""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from server.database.session import create_engine
from server.main import create_app
from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import (
    ProvisionedDatabase,
    TransactionalDatabase,
    postgres_param,
    provision_database,
)
from server.tests.support.fake_llm import FakeOpenAI, fake_openai_server
from server.tests.support.models import ModelCache
from server.tests.support.settings import SettingsFactory, settings_factory


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas() -> Iterator[None]:
    """One BLAS/OpenMP thread in the test process, as `python -m server` sets for its own.

    Pools sized to every core spin against each other when the suite shares the machine
    (other processes, xdist workers, the worker processes tests start): training then ran
    ten times slower on two busy cores.
    """
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="session")
def make_settings(tmp_root: Path) -> SettingsFactory:
    """Settings for tests: `env=test`, everything local, overridable per test."""
    return settings_factory(tmp_root)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    """Small models, each trained once per session, installed by copy where a test needs one."""
    return ModelCache(tmp_path_factory.mktemp("model-cache"))


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


@pytest.fixture
async def db_session(db_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    database = TransactionalDatabase(db_connection)
    async with database.session() as session:
        yield session


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


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible provider process (`tests/support/fake_openai.py`) per module."""
    with fake_openai_server() as server:
        yield server
