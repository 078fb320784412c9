"""A busy database answers 503 with Retry-After, never 500, and the API recovers after.

The app runs on a real database of its own (not inside a test transaction), since what is
tested is another connection holding a lock: SQLite's write lock, held by a second
connection as the worker or beat of `make dev` hold it, and a PostgreSQL pool with every
connection taken.
"""

import asyncio
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from server.config import Settings
from server.core.security.principal import Principal
from server.core.security.scopes import ALL_SCOPES
from server.main import create_app
from server.routes.deps import get_principal
from server.services.predictions.records import Scored, record, write_records
from server.tests.support.apps import client_for
from server.tests.support.auth import ADMIN_ID
from server.tests.support.databases import (
    ProvisionedDatabase,
    postgres_param,
    provision_database,
)

BUSY_TIMEOUT_MS = 300
ADMIN = Principal(user_id=ADMIN_ID, scopes=frozenset(ALL_SCOPES), via="token")


def settings_on(database: ProvisionedDatabase, tmp: Path, **overrides: Any) -> Settings:
    return database.settings.model_copy(
        update={"embedded_broker_dir": tmp / "broker", "artifact_root": tmp / "artifacts"}
        | overrides
    )


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    try:
        async with client_for(app) as http:
            yield http
    finally:
        await app.state.services.database.dispose()


async def predictions(settings: Settings, count: int) -> list[uuid.UUID]:
    """Recorded predictions, as the API's buffer writes them."""
    app = create_app(settings)
    rows = [
        record(
            Scored(uuid.uuid4(), "billing", 0.9, {"billing": 0.9, "refund": 0.1}, version=1),
            "charged twice",
            model_name=settings.model_name,
            latency_ms=1.0,
            requested_by="u",
            request_id=None,
            store_inputs=False,
        )
        for _ in range(count)
    ]
    await write_records(app.state.services.database, rows)
    await app.state.services.database.dispose()
    return [row["id"] for row in rows]


async def feedback(http: httpx.AsyncClient, prediction_id: uuid.UUID) -> httpx.Response:
    request = http.post(f"/api/v1/predictions/{prediction_id}/feedback", json={"label": "refund"})
    return await asyncio.wait_for(request, timeout=30)


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProvisionedDatabase]:
    with provision_database("sqlite", tmp_path_factory.mktemp("busy-api")) as database:
        yield database


def sqlite_file(settings: Settings) -> str:
    path = make_url(settings.database_url).database
    assert path is not None
    return path


async def test_sqlite_locked_by_another_writer_answers_503_and_recovers(
    sqlite_database: ProvisionedDatabase, tmp_path: Path
) -> None:
    settings = settings_on(sqlite_database, tmp_path, database_busy_timeout_ms=BUSY_TIMEOUT_MS)
    (prediction_id,) = await predictions(settings, 1)
    async with api(settings) as http:
        other = sqlite3.connect(sqlite_file(settings), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            busy = await feedback(http, prediction_id)
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert busy.status_code == 503, busy.text
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.headers["retry-after"] == "1"
        body = busy.json()
        assert body["type"] == "urn:problem-type:database-busy"
        assert "locked" in body["detail"]
        assert body["request_id"]

        recovered = await feedback(http, prediction_id)
        assert recovered.status_code == 200, recovered.text


@contextmanager
def busy_writer(path: str) -> Iterator[list[int]]:
    """Another process writing all the time, as `make dev`'s worker and beat do: short
    transactions holding the write lock most of the time. Yields its commit count."""
    commits = [0]
    stop = threading.Event()

    def write() -> None:
        connection = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            while not stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("UPDATE users SET full_name = full_name")
                stop.wait(0.02)  # work done while holding the lock
                connection.execute("COMMIT")
                commits[0] += 1
                # Free a third of the time: SQLite's busy handler polls (every 100 ms at
                # most), so a waiting writer gets in within its timeout.
                stop.wait(0.01)
        finally:
            connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield commits
    finally:
        stop.set()
        thread.join(timeout=30)


async def test_sequential_feedback_beside_a_busy_writer_never_fails(
    sqlite_database: ProvisionedDatabase, tmp_path: Path
) -> None:
    settings = settings_on(sqlite_database, tmp_path)
    ids = await predictions(settings, 40)
    async with api(settings) as http:
        with busy_writer(sqlite_file(settings)) as commits:
            answers = [await feedback(http, prediction_id) for prediction_id in ids]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * len(ids), [a.text for a in answers if a.status_code != 200][:3]
    assert commits[0] > 0  # the writer did hold the lock meanwhile


@pytest.fixture(scope="module", params=[postgres_param()])
def postgres_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProvisionedDatabase]:
    with provision_database(request.param, tmp_path_factory.mktemp("busy-api-pg")) as database:
        yield database


async def test_postgres_pool_exhausted_answers_503_and_recovers(
    postgres_database: ProvisionedDatabase, tmp_path: Path
) -> None:
    settings = settings_on(
        postgres_database,
        tmp_path,
        database_pool_size=1,
        database_max_overflow=0,
        database_pool_timeout_s=0.2,
    )
    (prediction_id,) = await predictions(settings, 1)
    app = create_app(settings)
    # Signing in needs the database too, and answers 503 of its own when it cannot check
    # the credentials; this test is about the feedback's own transaction.
    app.dependency_overrides[get_principal] = lambda: ADMIN
    try:
        async with client_for(app) as http:
            async with app.state.services.database.engine.connect() as taken:
                await taken.exec_driver_sql("SELECT 1")
                busy = await feedback(http, prediction_id)
            recovered = await feedback(http, prediction_id)
    finally:
        await app.state.services.database.dispose()
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["type"] == "urn:problem-type:database-busy"
    assert recovered.status_code == 200, recovered.text
