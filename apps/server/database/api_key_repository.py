"""Queries of API keys. No business rules here: those live in services.

Keys are found by the SHA-256 digest of their secret (the secret itself is never stored).
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.auth_models import ApiKey


def add_key(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def find_key_by_digest(session: AsyncSession, digest: str) -> ApiKey | None:
    """The key whose secret has this digest, revoked or expired ones included."""
    return await session.scalar(select(ApiKey).where(ApiKey.key_sha256 == digest))


def _keys_of(owner: uuid.UUID | None) -> Select[ApiKey]:
    query = select(ApiKey)
    return query if owner is None else query.where(ApiKey.user_id == owner)


async def count_keys(session: AsyncSession, owner: uuid.UUID | None) -> int:
    """How many keys `owner` has (every key: `owner` None)."""
    query = _keys_of(owner)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def list_keys(
    session: AsyncSession, owner: uuid.UUID | None, *, limit: int, offset: int
) -> Sequence[ApiKey]:
    """One page of `owner`'s keys (every key: `owner` None), newest first."""
    query = _keys_of(owner).order_by(ApiKey.created_at.desc(), ApiKey.id)
    return (await session.scalars(query.limit(limit).offset(offset))).all()
