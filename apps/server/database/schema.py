"""Waiting for the schema at start.

Under a plain `kubectl apply -k` the API, the workers and the model bootstrap Job start
beside the migration Job: instead of failing on missing tables and crash-looping until it
has finished, a process waits (bounded by `schema_wait_s`) until the database is migrated.
"""

import asyncio
import time
from functools import cache
from pathlib import Path

import structlog
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from server.database.session import Database

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class SchemaNotReadyError(RuntimeError):
    """The database was not migrated for this version within the allowed time."""


@cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The head revisions of this code's migrations, and every revision it knows."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return frozenset(script.get_heads()), known


def schema_problem(current: set[str]) -> str | None:
    """Why a database at the `current` revisions cannot serve this version; None when it can.

    A revision this code does not know is a newer schema: a rollback to this version runs on
    it by design (expand-then-contract migrations), so it is accepted.
    """
    heads, known = _revisions()
    if not current:
        return "not migrated yet (no alembic_version)"
    if current == heads or current - known:
        return None
    return (
        f"at revision {', '.join(sorted(current))}, this version needs {', '.join(sorted(heads))}"
    )


def is_newer_than_code(current: set[str]) -> bool:
    """Whether the database was migrated by a newer version than this code (a revision it
    does not know): `migrate` then has nothing to do, and must not fail a rollback."""
    return bool(current - _revisions()[1])


def _current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def current_revisions(database: Database) -> set[str]:
    """The revisions the database is at (empty before the first migration)."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current_revisions)


async def _problem_now(database: Database) -> str | None:
    try:
        return schema_problem(await current_revisions(database))
    except (OSError, SQLAlchemyError) as exc:  # not up yet, like the schema
        return f"database unreachable ({exc.__class__.__name__})"


async def wait_for_schema(database: Database, timeout_s: float, poll_s: float = 2.0) -> None:
    """Return once the database is migrated for this version; wait up to `timeout_s` for
    it (logging `database.schema_waiting` once, then `database.schema_ready`), and raise
    SchemaNotReadyError after that."""
    deadline = time.monotonic() + timeout_s
    waited = False
    while (problem := await _problem_now(database)) is not None:
        if time.monotonic() >= deadline:
            raise SchemaNotReadyError(
                f"the database schema is not ready after {timeout_s:g} s: {problem}; "
                "run the migrations (`python -m server migrate`, the migrate Job)"
            )
        if not waited:
            log.warning("database.schema_waiting", problem=problem, timeout_s=timeout_s)
            waited = True
        await asyncio.sleep(min(poll_s, max(deadline - time.monotonic(), 0.0)))
    if waited:
        log.info("database.schema_ready")
