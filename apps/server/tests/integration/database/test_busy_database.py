"""A busy database is recognised as such, on real errors of both backends.

SQLite is set up for concurrent use on every connection (WAL, a busy timeout, foreign keys)
and a write session takes the write lock when it begins, so it waits for another writer
instead of failing midway. Each failure is produced for real: a lock held by another
connection, a lock wait that times out, a serialization failure, an exhausted pool.
"""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from server.core.database_busy import busy_reason, lost_a_race
from server.database.session import Database
from server.tests.support.databases import (
    ProvisionedDatabase,
    postgres_param,
    provision_database,
)

BUSY_TIMEOUT_MS = 300


def sqlite_path(database: ProvisionedDatabase) -> str:
    path = make_url(database.settings.database_url).database
    assert path is not None
    return path


@contextmanager
def write_lock(path: str) -> Iterator[sqlite3.Connection]:
    """Another connection (another process, in `make dev`) holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProvisionedDatabase]:
    with provision_database("sqlite", tmp_path_factory.mktemp("busy")) as database:
        yield database


async def test_sqlite_connections_are_set_up_for_concurrent_use(
    sqlite_database: ProvisionedDatabase,
) -> None:
    settings = sqlite_database.settings.model_copy(update={"database_busy_timeout_ms": 1234})
    async with Database.connect(settings) as database, database.engine.connect() as connection:
        pragmas = {
            name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 1234, "foreign_keys": 1}


async def test_a_write_session_waits_for_the_lock_and_reads_do_not(
    sqlite_database: ProvisionedDatabase,
) -> None:
    settings = sqlite_database.settings.model_copy(
        update={"database_busy_timeout_ms": BUSY_TIMEOUT_MS}
    )
    async with Database.connect(settings) as database:
        with write_lock(sqlite_path(sqlite_database)):
            async with database.session() as session:  # WAL: readers never wait
                assert (await session.execute(text("SELECT count(*) FROM users"))).scalar() == 1
            started = time.monotonic()
            with pytest.raises(DBAPIError) as caught:
                async with database.session(writes=True) as session:
                    await session.execute(text("SELECT count(*) FROM users"))
            waited = time.monotonic() - started
        assert waited >= BUSY_TIMEOUT_MS / 1000 * 0.9  # the busy timeout applied at BEGIN
        assert busy_reason(caught.value) == "the database is locked by another writer"
        assert not lost_a_race(caught.value)
        async with database.session(writes=True) as session:  # the lock is free again
            await session.execute(text("UPDATE users SET full_name = 'x' WHERE 1 = 0"))
            await session.commit()


@pytest.fixture(scope="module", params=[postgres_param()])
def postgres_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProvisionedDatabase]:
    with provision_database(request.param, tmp_path_factory.mktemp("busy-pg")) as database:
        yield database


async def lock_wait_timing_out(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text("SET LOCAL lock_timeout = '100ms'"))
        await connection.execute(text("SELECT * FROM users FOR UPDATE"))


async def test_postgres_lock_timeouts_races_and_a_full_pool_are_busy(
    postgres_database: ProvisionedDatabase,
) -> None:
    settings = postgres_database.settings.model_copy(
        update={"database_pool_size": 1, "database_max_overflow": 0, "database_pool_timeout_s": 0.2}
    )
    async with (
        Database.connect(postgres_database.settings) as holder_db,
        Database.connect(settings) as database,
    ):
        async with holder_db.engine.connect() as holder:
            await holder.begin()
            await holder.execute(text("SELECT * FROM users FOR UPDATE"))
            with pytest.raises(DBAPIError) as lock_wait:
                await lock_wait_timing_out(database)
            await holder.rollback()
        assert busy_reason(lock_wait.value) == "a lock wait timed out"
        assert not lost_a_race(lock_wait.value)

        async with database.engine.connect() as only:
            await only.execute(text("SELECT 1"))
            with pytest.raises(PoolTimeoutError) as pool:
                await database.ping()  # needs a second connection
        assert busy_reason(pool.value) == "every database connection is in use"

        statement = text("UPDATE users SET full_name = :name")
        async with holder_db.engine.connect() as first, database.engine.connect() as second:
            for connection in (first, second):
                await connection.execution_options(isolation_level="REPEATABLE READ")
                await connection.execute(text("SELECT count(*) FROM users"))
            await first.execute(statement, {"name": "first"})
            await first.commit()
            with pytest.raises(DBAPIError) as race:
                await second.execute(statement, {"name": "second"})
            await second.rollback()
        assert busy_reason(race.value) == "a concurrent transaction conflicted"
        assert lost_a_race(race.value)


def test_other_failures_are_not_busy(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "x.db") as connection, pytest.raises(sqlite3.Error) as caught:
        connection.execute("SELECT * FROM nowhere")
    error = DBAPIError("SELECT * FROM nowhere", None, caught.value)
    assert busy_reason(error) is None
    assert not lost_a_race(error)
    assert busy_reason(ValueError("x")) is None
