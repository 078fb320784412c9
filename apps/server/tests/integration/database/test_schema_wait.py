"""A process started beside the migration Job waits for the schema instead of failing on
missing tables (issue 16, item 7): bounded, with one clear log line."""

import asyncio
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from structlog.testing import capture_logs

from server.cli.processes import run_migrations
from server.database.schema import (
    SchemaNotReadyError,
    current_revisions,
    schema_problem,
    wait_for_schema,
)
from server.database.session import Database
from server.main import create_app
from server.tests.support.databases import alembic_config, empty_database, postgres_param
from server.tests.support.settings import settings_for_url

BACKENDS = ["sqlite", postgres_param()]


def waiting_events(logs: list[MutableMapping[str, Any]]) -> list[str]:
    return [str(e["event"]) for e in logs if str(e["event"]).startswith("database.schema_")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_database_is_refused_after_the_wait_with_the_reason(
    backend: str, tmp_path: Path
) -> None:
    with empty_database(backend, tmp_path) as url:

        async def scenario() -> None:
            async with Database.connect(settings_for_url(url)) as database:
                with pytest.raises(SchemaNotReadyError, match="not migrated yet"):
                    await wait_for_schema(database, timeout_s=0.5, poll_s=0.1)

        with capture_logs() as logs:
            asyncio.run(scenario())
        assert waiting_events(logs) == ["database.schema_waiting"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_wait_ends_when_the_migrations_finish(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as url:
        settings = settings_for_url(url)

        async def scenario() -> None:
            async with Database.connect(settings) as database:
                waiting = asyncio.create_task(wait_for_schema(database, 120, poll_s=0.1))
                # The "migration Job": runs while the process waits (after its first look).
                while not waiting_events(logs):  # noqa: ASYNC110 - captured logs have no event
                    await asyncio.sleep(0.05)
                assert not waiting.done()
                await asyncio.to_thread(command.upgrade, alembic_config(settings), "head")
                await waiting

        with capture_logs() as logs:
            asyncio.run(scenario())
        assert waiting_events(logs) == ["database.schema_waiting", "database.schema_ready"]
        assert logs[0]["problem"] == "not migrated yet (no alembic_version)"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_migrated_database_passes_at_once_without_a_log_line(
    backend: str, tmp_path: Path
) -> None:
    with empty_database(backend, tmp_path) as url:
        settings = settings_for_url(url)
        command.upgrade(alembic_config(settings), "head")

        async def scenario() -> None:
            async with Database.connect(settings) as database:
                await wait_for_schema(database, timeout_s=0)

        with capture_logs() as logs:
            asyncio.run(scenario())
        assert waiting_events(logs) == []


def test_an_older_revision_waits_and_a_newer_unknown_one_is_accepted(tmp_path: Path) -> None:
    with empty_database("sqlite", tmp_path) as url:
        settings = settings_for_url(url)
        command.upgrade(alembic_config(settings), "0006")

        async def scenario() -> None:
            async with Database.connect(settings) as database:
                with pytest.raises(SchemaNotReadyError, match="at revision 0006"):
                    await wait_for_schema(database, timeout_s=0)
                # A rollback to this version after a newer release migrated the database.
                async with database.engine.begin() as connection:
                    await connection.execute(
                        text("UPDATE alembic_version SET version_num = '9999_from_the_future'")
                    )
                await wait_for_schema(database, timeout_s=0)

        asyncio.run(scenario())


def test_schema_problem_names_what_this_version_needs() -> None:
    assert schema_problem(set()) == "not migrated yet (no alembic_version)"
    problem = schema_problem({"0001"})
    assert problem is not None
    assert problem.startswith("at revision 0001, this version needs ")


def test_the_api_does_not_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    # Before: the first-superuser check queried `users` and failed with a missing table.
    with empty_database("sqlite", tmp_path) as url:
        settings = settings_for_url(
            url,
            schema_wait_s=0.3,
            first_superuser_email="admin@example.com",
            first_superuser_password="a-long-enough-password-1",
        )
        app = create_app(settings)

        async def start() -> None:
            async with app.router.lifespan_context(app):
                pytest.fail("the API started without its tables")  # pragma: no cover

        with pytest.raises(SchemaNotReadyError, match="run the migrations"):
            asyncio.run(start())


def test_migrate_keeps_a_newer_schema_and_upgrades_an_older_one(tmp_path: Path) -> None:
    # deploy.yml runs the migrate Job of the release it deploys, a rolled-back one included.
    with empty_database("sqlite", tmp_path) as url:
        settings = settings_for_url(url)
        command.upgrade(alembic_config(settings), "0006")

        async def revisions() -> set[str]:
            async with Database.connect(settings) as database:
                return await current_revisions(database)

        run_migrations(settings)
        assert schema_problem(asyncio.run(revisions())) is None

        async def from_the_future() -> None:
            async with Database.connect(settings) as database, database.engine.begin() as c:
                await c.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))

        asyncio.run(from_the_future())
        with capture_logs() as logs:
            run_migrations(settings)  # alembic alone: "Can't locate revision '9999_newer'"
        assert [e["event"] for e in logs] == ["migrate.newer_schema_kept"]
        assert asyncio.run(revisions()) == {"9999_newer"}
