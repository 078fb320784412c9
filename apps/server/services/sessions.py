"""Sign-in sessions: password login, refresh-token rotation with reuse detection, logout.

A login starts a *family* of refresh tokens. Each refresh marks the presented token used
and issues the next one in the family; presenting a used token again means it was copied,
so the whole family is revoked and its holder (legitimate or not) must sign in again.
The family keeps the login's expiry: refreshing does not extend a session forever.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.core.errors import UnauthorizedError
from server.core.security.passwords import Passwords
from server.core.security.revocation import RevocationBus, user_message
from server.core.security.tokens import TokenCodec, new_secret, secret_digest
from server.database import refresh_token_repository as repo
from server.database import user_repository
from server.database.auth_models import RefreshToken, User
from server.database.base import utcnow
from server.database.session import Database
from server.services.users import effective_scopes, find_by_email

log = structlog.get_logger(__name__)

_BAD_REFRESH = "The refresh token is unknown, expired or revoked; sign in again."


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    scopes: frozenset[str]
    refresh_expires_at: datetime
    """When the refresh token (its family) expires: a refresh cookie lives exactly as long."""


class SessionService:
    """Issues, rotates and revokes tokens; one per API process."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        passwords: Passwords,
        codec: TokenCodec,
        revocations: RevocationBus,
    ) -> None:
        self.settings = settings
        self.database = database
        self.passwords = passwords
        self.codec = codec
        self.revocations = revocations

    async def check_password(self, email: str, password: str) -> User | None:
        """The active user with this e-mail and password; None otherwise, in equal time."""
        async with self.database.session() as session:
            user = await find_by_email(session, email)
            stored = user.password_hash if user is not None else None
            ok, new_hash = await asyncio.to_thread(self.passwords.verify, password, stored)
            if not ok or user is None or not user.is_active:
                return None
            if new_hash is not None:  # hashing parameters changed since: upgrade in place
                user.password_hash = new_hash
                await session.commit()
                log.info("user.password_rehashed", user_id=str(user.id))
            return user

    async def start(self, user: User, requested: frozenset[str] | None) -> TokenPair:
        """A new family for a signed-in user, with the requested scopes it holds."""
        held = effective_scopes(user)
        scopes = held if requested is None else held & requested
        expires = utcnow() + timedelta(seconds=self.settings.refresh_token_ttl_s)
        async with self.database.session() as session:
            pair = self._issue(session, user, uuid.uuid4(), scopes, expires)
            await session.commit()
        log.info("auth.signed_in", user_id=str(user.id), scopes=sorted(scopes))
        return pair

    async def rotate(self, refresh_token: str) -> TokenPair:
        now = utcnow()
        async with self.database.session() as session:
            link = await repo.find_refresh_token(session, secret_digest(refresh_token))
            if link is None or link.revoked_at is not None or link.expires_at <= now:
                raise UnauthorizedError(_BAD_REFRESH, error="invalid_grant")
            # Claim the link atomically: of two concurrent uses, exactly one wins.
            claimed = await repo.claim_refresh_token(session, link.id, now)
            user = await user_repository.get_user(session, link.user_id)
            if not claimed or user is None or not user.is_active:
                await repo.revoke_family(session, link.family_id, now)
                await session.commit()
                await self.revocations.publish(user_message(link.user_id))
                log.warning("auth.refresh_reused", family_id=str(link.family_id))
                raise UnauthorizedError(_BAD_REFRESH, error="invalid_grant")
            scopes = frozenset(str(s) for s in link.scopes) & effective_scopes(user)
            pair = self._issue(session, user, link.family_id, scopes, link.expires_at)
            await session.commit()
        return pair

    async def end(self, refresh_token: str) -> None:
        """Revoke the family of `refresh_token` (unknown tokens are ignored: no oracle)."""
        async with self.database.session() as session:
            found = await repo.find_family_owner(session, secret_digest(refresh_token))
            if found is not None:
                family, user_id = found
                await repo.revoke_family(session, family, utcnow())
                await session.commit()
                # The session's access tokens stop working on the next request, everywhere.
                await self.revocations.publish(user_message(user_id))
                log.info("auth.signed_out", family_id=str(family))

    def _issue(
        self,
        session: AsyncSession,
        user: User,
        family_id: uuid.UUID,
        scopes: frozenset[str],
        expires_at: datetime,
    ) -> TokenPair:
        refresh = new_secret()
        repo.add_refresh_token(
            session,
            RefreshToken(
                family_id=family_id,
                user_id=user.id,
                token_sha256=secret_digest(refresh),
                scopes=sorted(scopes),
                expires_at=expires_at,
            ),
        )
        access, ttl = self.codec.issue(
            str(user.id), scopes, generation=user.token_generation, session_id=str(family_id)
        )
        return TokenPair(access, ttl, refresh, scopes, expires_at)
