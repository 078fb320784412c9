"""Alembic environment: async engine, URL from Settings, batch mode on SQLite."""

import asyncio
import logging.config
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from server.config import Settings
from server.database.article_models import FTS_TABLE, SEARCH_INDEX
from server.database.base import UTCDateTime
from server.database.models import Base
from server.database.session import create_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

# Tests and tools may pass a URL explicitly; otherwise the service's own settings decide.
settings: Settings = config.attributes.get("settings") or Settings()
target_metadata = Base.metadata


def _render_item(kind: str, obj: Any, _autogen_context: Any) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so migrations import nothing of ours."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _include_object(
    obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out what the migrations add beyond the models: the full-text search tables
    (SQLite) and index (PostgreSQL) of the knowledge-base articles."""
    del obj, compare_to
    if not reflected:
        return True
    if kind == "table":
        return not (name or "").startswith(FTS_TABLE)
    return not (kind == "index" and name == SEARCH_INDEX)


def _configure(connection: Connection | None = None) -> None:
    context.configure(
        connection=connection,
        url=None if connection is not None else settings.database_url,
        target_metadata=target_metadata,
        render_as_batch=settings.is_sqlite,  # SQLite alters tables by copy-and-move
        compare_type=True,
        compare_server_default=True,
        literal_binds=connection is None,
        render_item=_render_item,
        include_object=_include_object,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure()
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
