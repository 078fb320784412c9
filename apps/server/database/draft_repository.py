"""Queries of the stored reply drafts: by id, the caller's pages, their tokens spent."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.draft_models import Draft


async def add_draft(session: AsyncSession, draft: Draft) -> Draft:
    session.add(draft)
    await session.flush()
    return draft


async def get_draft(session: AsyncSession, draft_id: uuid.UUID) -> Draft | None:
    return await session.get(Draft, draft_id)


def _drafts_of(owner: str | None) -> Select[Draft]:
    query = select(Draft)
    return query if owner is None else query.where(Draft.owner == owner)


async def count_drafts(session: AsyncSession, owner: str | None) -> int:
    """Drafts of `owner` (None: everyone's)."""
    query = select(func.count()).select_from(_drafts_of(owner).subquery())
    return int(await session.scalar(query) or 0)


async def list_drafts(
    session: AsyncSession, owner: str | None, *, limit: int, offset: int
) -> Sequence[Draft]:
    """A page of `owner`'s drafts (None: everyone's), newest first."""
    query = (
        _drafts_of(owner)
        .order_by(Draft.created_at.desc(), Draft.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(query)).all()


async def earlier_tickets(
    session: AsyncSession, owner: str, *, before: uuid.UUID | None, limit: int
) -> Sequence[Draft]:
    """`owner`'s own earlier drafts, newest first, less `before` (the draft being written).
    Never anyone else's: the owner is a required condition, not a filter one may drop."""
    query = select(Draft).where(Draft.owner == owner)
    if before is not None:
        query = query.where(Draft.id != before)
    query = query.order_by(Draft.created_at.desc(), Draft.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def tokens_spent_since(session: AsyncSession, owner: str, since: datetime) -> int:
    """Input and output tokens of `owner`'s drafts created since `since`, failed ones too
    (their calls were paid for as well)."""
    query = select(func.coalesce(func.sum(Draft.input_tokens + Draft.output_tokens), 0)).where(
        Draft.owner == owner, Draft.created_at >= since
    )
    return int(await session.scalar(query) or 0)
