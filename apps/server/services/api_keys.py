"""API keys for machine clients: created with a subset of the owner's scopes, shown once.

A key is `tt_` plus 256 random bits; only its SHA-256 digest and a short prefix (to tell keys
apart in a listing) are stored.
"""

import uuid
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.errors import (
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    UnprocessableError,
)
from server.core.security.principal import Principal
from server.core.security.revocation import RevocationBus, key_message
from server.core.security.tokens import new_secret, secret_digest
from server.database import api_key_repository as repo
from server.database.auth_models import ApiKey, User
from server.database.base import utcnow
from server.schemas.auth import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, ApiKeyPage
from server.services.users import find_user, parse_user_id

log = structlog.get_logger(__name__)

KEY_PREFIX = "tt_"
VISIBLE_CHARS = 10


def _only_users(principal: Principal) -> None:
    if principal.via == "api_key":
        raise ForbiddenError("API keys are managed with a user's access token.", scopes="")


async def _signed_in_user(session: AsyncSession, principal: Principal) -> User:
    """The caller's user row: a token may outlive its user (deleted, or never one)."""
    user = await find_user(session, principal.user_id)
    if user is None or not user.is_active:
        raise UnauthorizedError("The user of these credentials no longer exists or is disabled.")
    return user


async def create_key(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    scopes: frozenset[str],
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    """The stored key and its secret (returned to the caller once, never again)."""
    _only_users(principal)
    owner = await _signed_in_user(session, principal)
    missing = scopes - principal.scopes
    if missing:
        raise UnprocessableError(
            "scopes: a key can only carry scopes you hold; not held: " + " ".join(sorted(missing))
        )
    if expires_at is not None and expires_at <= utcnow():
        raise UnprocessableError("expires_at: must be in the future")
    secret = new_secret(KEY_PREFIX)
    key = ApiKey(
        user_id=owner.id,
        name=name,
        prefix=secret[:VISIBLE_CHARS],
        key_sha256=secret_digest(secret),
        scopes=sorted(scopes),
        expires_at=expires_at,
    )
    repo.add_key(session, key)
    await session.commit()
    log.info("api_key.created", key_id=str(key.id), scopes=sorted(scopes))
    return key, secret


async def list_keys(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> tuple[list[ApiKey], int]:
    owner = None
    if principal.owner_filter is not None:
        owner = parse_user_id(principal.owner_filter)
        if owner is None:  # a subject that is no user owns no key
            return [], 0
    total = await repo.count_keys(session, owner)
    rows = await repo.list_keys(session, owner, limit=limit, offset=offset)
    return list(rows), total


async def revoke_key(
    session: AsyncSession, revocations: RevocationBus, principal: Principal, key_id: uuid.UUID
) -> None:
    """Revoke one of the caller's keys (any key for an administrator); others answer 404.

    Every API process forgets the key at once (the revocation bus)."""
    _only_users(principal)
    key = await repo.get_key(session, key_id)
    owner = principal.owner_filter
    if key is None or (owner is not None and str(key.user_id) != owner):
        raise NotFoundError("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.commit()
        log.info("api_key.revoked", key_id=str(key.id))
    await revocations.publish(key_message(key.id))


def key_out(key: ApiKey) -> ApiKeyOut:
    """A key as the API lists it: its visible prefix, never the secret or its digest."""
    return ApiKeyOut.model_validate(key, from_attributes=True)


async def issue_key(
    session: AsyncSession, principal: Principal, body: ApiKeyCreate
) -> ApiKeyCreated:
    """Create a key for the caller; the answer is the only time its secret is shown."""
    key, secret = await create_key(
        session,
        principal,
        name=body.name,
        scopes=frozenset(body.scopes),
        expires_at=body.expires_at,
    )
    return ApiKeyCreated(**key_out(key).model_dump(), key=secret)


async def keys_page(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> ApiKeyPage:
    rows, total = await list_keys(session, principal, limit=limit, offset=offset)
    return ApiKeyPage(items=[key_out(key) for key in rows], total=total)


async def find_active_key(session: AsyncSession, digest: str) -> ApiKey | None:
    """The unrevoked, unexpired key whose secret has this digest, its last use recorded."""
    key = await repo.find_key_by_digest(session, digest)
    now = utcnow()
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    key.last_used_at = now
    await session.commit()
    return key
