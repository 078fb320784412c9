"""Queries of refresh tokens: the links of each sign-in's rotation chain (its family).

No business rules here: those live in services. Tokens are found by the SHA-256 digest of
their secret (the secret itself is never stored).
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.auth_models import RefreshToken


def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)


async def find_refresh_token(session: AsyncSession, digest: str) -> RefreshToken | None:
    """The link whose secret has this digest, used, revoked or expired ones included."""
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_sha256 == digest))


async def find_family_owner(
    session: AsyncSession, digest: str
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(family id, user id) of the link whose secret has this digest, without loading it."""
    query = select(RefreshToken.family_id, RefreshToken.user_id).where(
        RefreshToken.token_sha256 == digest
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row.family_id, row.user_id)


async def claim_refresh_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark the link used, atomically: of two concurrent claims exactly one answers True."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    """Revoke every link of the family not revoked yet."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """Revoke every link of every family of the user not revoked yet."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def families_revoked_since(
    session: AsyncSession, user_id: uuid.UUID, since: datetime
) -> Sequence[uuid.UUID]:
    """The user's families with a link revoked at or after `since`, each once."""
    query = (
        select(RefreshToken.family_id)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at >= since)
        .distinct()
    )
    return (await session.scalars(query)).all()
