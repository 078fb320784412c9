"""Users: creation (with the password policy), lookup, listing, the first superuser."""

import asyncio
import re
import uuid
from collections.abc import Iterable

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.core.errors import ConflictError, NotFoundError, UnprocessableError
from server.core.security.passwords import Passwords, password_problems
from server.core.security.scopes import ALL_SCOPES
from server.database import user_repository as repo
from server.database.auth_models import User
from server.database.session import Database
from server.schemas.users import UserCreate, UserOut, UserPage

log = structlog.get_logger(__name__)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$|^[^@\s]{1,64}@localhost$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def effective_scopes(user: User) -> frozenset[str]:
    """What a user may hold right now: every scope for a superuser, none when inactive."""
    if not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_SCOPES
    return frozenset(str(s) for s in user.scopes) & ALL_SCOPES


async def create_user(
    session: AsyncSession,
    passwords: Passwords,
    settings: Settings,
    *,
    email: str,
    password: str,
    scopes: Iterable[str],
    full_name: str | None = None,
    is_superuser: bool = False,
) -> User:
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise UnprocessableError("email: not an e-mail address")
    problems = password_problems(password, settings)
    if problems:
        raise UnprocessableError("password: needs " + "; ".join(problems))
    # Hash before the first query: the session's read and its write stay adjacent, with no
    # slow await between them for another writer to commit in (SQLite refuses a write on a
    # stale snapshot).
    password_hash = await asyncio.to_thread(passwords.hash, password)
    if await repo.user_id_by_email(session, email) is not None:
        raise ConflictError("A user with this e-mail already exists.")
    user = User(
        email=email,
        full_name=full_name,
        password_hash=password_hash,
        scopes=sorted(set(scopes) & ALL_SCOPES),
        is_superuser=is_superuser,
    )
    repo.add_user(session, user)
    try:
        await session.commit()
    except IntegrityError as exc:  # created concurrently with the same e-mail
        await session.rollback()
        raise ConflictError("A user with this e-mail already exists.") from exc
    log.info("user.created", user_id=str(user.id), superuser=is_superuser)
    return user


def parse_user_id(user_id: str) -> uuid.UUID | None:
    """A token's subject as a user id; None for a subject that cannot be one."""
    try:
        return uuid.UUID(user_id)
    except ValueError:
        return None


async def find_user(session: AsyncSession, user_id: str) -> User | None:
    key = parse_user_id(user_id)
    return await repo.get_user(session, key) if key is not None else None


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await find_user(session, user_id)
    if user is None:
        raise NotFoundError("No such user.")
    return user


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await repo.find_user_by_email(session, normalize_email(email))


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[User], int]:
    total = await repo.count_users(session)
    rows = await repo.list_users(session, limit=limit, offset=offset)
    return list(rows), total


def user_out(user: User) -> UserOut:
    """A user as the API shows it: effective scopes, never the password hash."""
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        scopes=sorted(effective_scopes(user)),
        is_superuser=user.is_superuser,
        is_active=user.is_active,
        created_at=user.created_at,
    )


async def describe_user(session: AsyncSession, user_id: str) -> UserOut:
    return user_out(await get_user(session, user_id))


async def users_page(session: AsyncSession, *, limit: int, offset: int) -> UserPage:
    rows, total = await list_users(session, limit=limit, offset=offset)
    return UserPage(items=[user_out(user) for user in rows], total=total)


async def register_user(
    session: AsyncSession, passwords: Passwords, settings: Settings, body: UserCreate
) -> UserOut:
    """Create the user an administrator asked for."""
    user = await create_user(
        session,
        passwords,
        settings,
        email=body.email,
        password=body.password,
        scopes=body.scopes,
        full_name=body.full_name,
        is_superuser=body.is_superuser,
    )
    return user_out(user)


async def ensure_first_superuser(
    database: Database, settings: Settings, passwords: Passwords
) -> bool:
    """Create the superuser named in Settings unless it exists; True when created."""
    email, password = settings.first_superuser_email, settings.first_superuser_password
    if not email or password is None:
        return False
    async with database.session() as session:
        if await find_by_email(session, email) is not None:
            return False
        try:
            await create_user(
                session,
                passwords,
                settings,
                email=email,
                password=password.get_secret_value(),
                scopes=ALL_SCOPES,
                full_name="Administrator",
                is_superuser=True,
            )
        except ConflictError:  # another API process created it first
            return False
    return True
