"""The async engine and session factory, built once per process from Settings.

SQLite (the embedded default) is shared by the API, the worker and beat, so it is set up
for concurrent use on every connection: WAL (readers never wait for the writer), a busy
timeout (a writer waits for another's lock instead of failing at once), and sessions that
will write can take the write lock when they begin (`Database.session(writes=True)`): a
transaction that reads first and writes later cannot wait for the lock, SQLite fails it at
once. A write still blocked after the timeout answers 503 (`core/database_busy.py`).
"""

import contextlib
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from server.config import Settings

WRITE_LOCK_OPTION = "sqlite_begin_immediate"
"""Execution option of the engine behind write sessions: their SQLite transactions begin
IMMEDIATE, taking the write lock (waiting up to the busy timeout) before the first read."""


def _sqlite_pragmas(
    busy_timeout_ms: int, dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
) -> None:
    # Python's sqlite3 driver opens transactions lazily and breaks SAVEPOINT semantics; take
    # transaction control away from it and let SQLAlchemy emit BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    # SQLite ignores foreign keys unless asked; WAL lets the worker read while the API writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine for `settings.database_url`, with pool settings fit for its backend."""
    # hide_parameters: a statement's bound values (ticket texts, e-mail addresses) stay out
    # of error messages, tracebacks and echo logs; the SQL itself is still shown.
    kwargs: dict[str, Any] = {
        "echo": settings.database_echo,
        "pool_pre_ping": True,
        "hide_parameters": True,
    }
    if not settings.is_sqlite:
        kwargs |= {
            "pool_size": settings.database_pool_size,
            "max_overflow": settings.database_max_overflow,
            "pool_timeout": settings.database_pool_timeout_s,
        }
    url = make_url(settings.database_url)
    if settings.is_sqlite and url.database and url.database != ":memory:":
        # Create var/ for the embedded default; if that fails, connecting fails later and
        # readiness says so, instead of the process dying at start.
        with contextlib.suppress(OSError):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        pragmas = functools.partial(_sqlite_pragmas, settings.database_busy_timeout_ms)
        event.listen(engine.sync_engine, "connect", pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


class Database:
    """Owns the engine and hands out sessions; one per process, closed on shutdown."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        # The same pool; only SQLite's BEGIN differs (see _sqlite_begin).
        self.writing_sessionmaker = async_sessionmaker(
            engine.execution_options(**{WRITE_LOCK_OPTION: True}), expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(create_engine(settings))

    @classmethod
    @asynccontextmanager
    async def connect(cls, settings: Settings) -> AsyncIterator["Database"]:
        """A database for one short-lived piece of work (a CLI command, a heartbeat), its
        pool disposed afterwards, also on error."""
        database = cls.from_settings(settings)
        try:
            yield database
        finally:
            await database.dispose()

    @asynccontextmanager
    async def session(self, *, writes: bool = False) -> AsyncIterator[AsyncSession]:
        """A session; with `writes`, for a transaction that reads, then writes what it read
        (on SQLite it waits for the write lock up front instead of failing midway)."""
        maker = self.writing_sessionmaker if writes else self.sessionmaker
        async with maker() as session:
            yield session

    async def ping(self) -> None:
        """One round trip on a pooled connection; raises when the database does not answer."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
