"""User administration that revokes credentials: disable, new password, delete, sign out
everywhere. Each change is committed first, then published on the revocation bus, so every
API process refuses the user's old credentials from its next request on.

Disabling, a new password and signing out everywhere bump the user's token generation
(every access token issued before is refused) and revoke every refresh-token family.
"""

import asyncio
from collections.abc import Iterable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.core.errors import ConflictError, UnprocessableError
from server.core.security.passwords import Passwords, password_problems
from server.core.security.principal import Principal
from server.core.security.revocation import RevocationBus, user_message
from server.core.security.scopes import ALL_SCOPES
from server.database import refresh_token_repository, user_repository
from server.database.auth_models import User
from server.database.base import utcnow
from server.schemas.users import UserOut
from server.services.users import get_user, user_out

log = structlog.get_logger(__name__)


def _not_yourself(principal: Principal, user: User, action: str) -> None:
    # The last administrator must not lock everyone out by mistake.
    if str(user.id) == principal.user_id:
        raise ConflictError(f"You cannot {action} yourself; ask another administrator.")


async def _revoke_everything(session: AsyncSession, user: User) -> None:
    """Refuse every access token issued so far and end every sign-in session."""
    user.token_generation = user.token_generation + 1
    await refresh_token_repository.revoke_user_tokens(session, user.id, utcnow())


async def update_user(
    session: AsyncSession,
    passwords: Passwords,
    settings: Settings,
    revocations: RevocationBus,
    *,
    principal: Principal,
    user_id: str,
    is_active: bool | None = None,
    full_name: str | None = None,
    scopes: Iterable[str] | None = None,
    password: str | None = None,
) -> UserOut:
    """Change what is given; a disable or a new password revokes every credential."""
    if password is not None:
        problems = password_problems(password, settings)
        if problems:
            raise UnprocessableError("password: needs " + "; ".join(problems))
        # Hash before reading, as in `create_user`: no slow await between read and write.
        new_hash = await asyncio.to_thread(passwords.hash, password)
    user = await get_user(session, user_id)
    revoke = False
    if is_active is not None and is_active != user.is_active:
        if not is_active:
            _not_yourself(principal, user, "disable")
            revoke = True
        user.is_active = is_active
    if full_name is not None:
        user.full_name = full_name
    if scopes is not None:
        user.scopes = sorted(set(scopes) & ALL_SCOPES)
    if password is not None:
        user.password_hash = new_hash
        user.password_changed_at = utcnow()
        revoke = True
    if revoke:
        await _revoke_everything(session, user)
    await session.commit()
    await revocations.publish(user_message(user.id))
    log.info("user.updated", user_id=str(user.id), revoked=revoke, active=user.is_active)
    return user_out(user)


async def delete_user(
    session: AsyncSession, revocations: RevocationBus, principal: Principal, user_id: str
) -> None:
    """Delete the user with its API keys and sessions (the database cascades)."""
    user = await get_user(session, user_id)
    _not_yourself(principal, user, "delete")
    await user_repository.delete_user(session, user.id)
    await session.commit()
    await revocations.publish(user_message(user.id))
    log.info("user.deleted", user_id=str(user.id))


async def sign_out_everywhere(
    session: AsyncSession, revocations: RevocationBus, user_id: str
) -> None:
    """End every session of the user; its access tokens stop working at once."""
    user = await get_user(session, user_id)
    await _revoke_everything(session, user)
    await session.commit()
    await revocations.publish(user_message(user.id))
    log.info("user.signed_out_everywhere", user_id=str(user.id))
