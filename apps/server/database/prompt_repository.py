"""Queries of the prompt registry. No business rules here: those live in services."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.prompt_models import (
    PromptAlias,
    PromptAliasEvent,
    PromptTraffic,
    PromptVersion,
)


async def list_versions(session: AsyncSession) -> Sequence[PromptVersion]:
    return (await session.scalars(select(PromptVersion).order_by(PromptVersion.version))).all()


async def get_version(session: AsyncSession, version: int) -> PromptVersion | None:
    return await session.scalar(select(PromptVersion).where(PromptVersion.version == version))


async def get_by_digest(session: AsyncSession, digest: str) -> PromptVersion | None:
    return await session.scalar(select(PromptVersion).where(PromptVersion.digest == digest))


async def next_version_number(session: AsyncSession) -> int:
    return (await session.scalar(select(func.max(PromptVersion.version))) or 0) + 1


def add(session: AsyncSession, row: PromptVersion | PromptAlias | PromptAliasEvent) -> None:
    """Add a new version, an alias's first pointer or an audit entry to the transaction."""
    session.add(row)


async def list_aliases(session: AsyncSession) -> dict[str, int]:
    """Alias name -> version number."""
    rows = await session.execute(
        select(PromptAlias.alias, PromptVersion.version).join(
            PromptVersion, PromptAlias.version_id == PromptVersion.id
        )
    )
    return {alias: version for alias, version in rows.all()}  # noqa: C416 - rows, not pairs


async def aliased_versions(session: AsyncSession) -> dict[str, PromptVersion]:
    """Alias name -> the version row it points at (what drafts are served under)."""
    rows = await session.execute(
        select(PromptAlias.alias, PromptVersion).join(
            PromptVersion, PromptAlias.version_id == PromptVersion.id
        )
    )
    return {alias: row for alias, row in rows.all()}  # noqa: C416 - rows, not pairs


async def get_alias_for_update(session: AsyncSession, alias: str) -> PromptAlias | None:
    # FOR UPDATE serializes concurrent moves of one alias on PostgreSQL (SQLite ignores it).
    return await session.scalar(
        select(PromptAlias).where(PromptAlias.alias == alias).with_for_update()
    )


async def load_version_by_id(session: AsyncSession, version_id: int) -> PromptVersion:
    """The version row an alias points at (it must exist)."""
    return await session.get_one(PromptVersion, version_id)


async def alias_history(session: AsyncSession, alias: str) -> Sequence[PromptAliasEvent]:
    """Every move of one alias, oldest first."""
    query = select(PromptAliasEvent).where(PromptAliasEvent.alias == alias)
    return (await session.scalars(query.order_by(PromptAliasEvent.id))).all()


async def audit_log(session: AsyncSession) -> Sequence[PromptAliasEvent]:
    return (await session.scalars(select(PromptAliasEvent).order_by(PromptAliasEvent.id))).all()


async def get_traffic(session: AsyncSession) -> PromptTraffic | None:
    return await session.get(PromptTraffic, 1)


def add_traffic(session: AsyncSession, traffic: PromptTraffic) -> None:
    """Add the first canary split to the transaction."""
    session.add(traffic)
