"""The test databases on SQLite and PostgreSQL: created, migrated, dropped, and joined
per test through a transaction that is rolled back."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine

from server.config import SERVER_DIR, Settings
from server.database.auth_models import User
from server.database.session import Database
from server.tests.support.auth import ADMIN_EMAIL, ADMIN_ID
from server.tests.support.settings import settings_for_url


@dataclass(frozen=True)
class ProvisionedDatabase:
    backend: str
    settings: Settings


def postgres_admin_url() -> str | None:
    return os.environ.get("APP_TEST_DATABASE_URL") or None


def postgres_param() -> Any:
    """The `postgres` parameter of a backend-parametrized fixture or test.

    Skipped without `APP_TEST_DATABASE_URL`, unless `APP_TEST_REQUIRE_POSTGRES=1` (CI) makes
    a missing server a failure.
    """
    if postgres_admin_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1":
        return pytest.param(
            "postgres", marks=pytest.mark.skip(reason="APP_TEST_DATABASE_URL is not set")
        )
    return pytest.param("postgres", marks=pytest.mark.postgres)


def alembic_config(settings: Settings) -> Config:
    config = Config(str(SERVER_DIR / "alembic.ini"))
    config.attributes["settings"] = settings
    config.attributes["configure_logger"] = False
    return config


async def _admin_execute(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def empty_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database on `backend`; drop it afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_dir / (name + '.db')}"
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        raise RuntimeError("APP_TEST_DATABASE_URL is required for PostgreSQL tests")
    asyncio.run(_admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _add_test_admin(settings: Settings) -> None:
    """The user behind `support.auth.ADMIN_ID` tokens: credentials of no user are refused."""
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            session.add(
                User(
                    id=uuid.UUID(ADMIN_ID),
                    email=ADMIN_EMAIL,
                    full_name="Test administrator",
                    password_hash="!",  # matches no password: tokens are minted, not signed in
                    scopes=[],
                    is_superuser=True,
                )
            )
            await session.commit()
    finally:
        await database.dispose()


@contextmanager
def provision_database(
    backend: str, tmp_dir: Path, *, with_admin: bool = True
) -> Iterator[ProvisionedDatabase]:
    """A new database on `backend`, migrated to head, holding the test administrator (whose
    tokens the `client` fixture sends) unless `with_admin` is false."""
    with empty_database(backend, tmp_dir) as url:
        settings = settings_for_url(url)
        command.upgrade(alembic_config(settings), "head")
        if with_admin:
            asyncio.run(_add_test_admin(settings))
        yield ProvisionedDatabase(backend=backend, settings=settings)


class TransactionalDatabase(Database):
    """A `Database` whose sessions join the test's outer transaction through savepoints."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection.engine)
        self.sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        # Inside the test's transaction there is no BEGIN to make IMMEDIATE.
        self.writing_sessionmaker = self.sessionmaker

    async def dispose(self) -> None:
        """The engine belongs to the fixture, which disposes of it."""
