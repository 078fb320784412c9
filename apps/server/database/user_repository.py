"""Queries of users. No business rules here: those live in services.

`get_user` answers None for an unknown id. E-mails are compared as given: services
normalize them first.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.auth_models import User


def add_user(session: AsyncSession, user: User) -> None:
    session.add(user)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def user_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The id of the user with this e-mail, without loading the row."""
    return await session.scalar(select(User.id).where(User.email == email))


async def count_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> Sequence[User]:
    """One page of users, oldest first."""
    query = select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


async def delete_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Remove a user; its API keys and refresh tokens go with it (ON DELETE CASCADE)."""
    await session.execute(delete(User).where(User.id == user_id))
