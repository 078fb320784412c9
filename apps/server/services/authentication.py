"""Turning the credentials of a request into a `Principal`, and the per-caller rate limit.

Access tokens are checked without the database (that is what a short lifetime buys), and a
token already verified is remembered until it expires: a client sends the same token with
every request, and verifying it costs ~110 us (python-jose) against ~1 us for a lookup. API
keys are looked up by digest and the verdict, positive or negative, is cached for
`api_key_cache_s`, so a busy machine client costs one query every few seconds, and a
revoked key stops working within that time.
"""

import time

import structlog
from sqlalchemy.exc import SQLAlchemyError

from server.config import Environment, Settings
from server.core.errors import ServiceUnavailableError, TooManyRequestsError, UnauthorizedError
from server.core.rate_limit import LeasedQuota, RateLimiter, RateLimitUnavailable
from server.core.security.principal import Principal
from server.core.security.tokens import InvalidTokenError, TokenCodec, secret_digest
from server.database.auth_models import User
from server.database.session import Database
from server.services.api_keys import find_active_key
from server.services.users import effective_scopes

log = structlog.get_logger(__name__)

_CACHE_MAX = 10_000
QUOTA_STORE_RETRY_AFTER_S = 5


class Authenticator:
    def __init__(
        self, settings: Settings, database: Database, codec: TokenCodec, limiter: RateLimiter
    ) -> None:
        self.settings = settings
        self.database = database
        self.codec = codec
        self.quota = LeasedQuota(limiter, settings.rate_limit_lease)
        store_down = settings.rate_limit_store_down or (
            "refuse" if settings.env is Environment.production else "allow"
        )
        self.quota_fails_open = store_down == "allow"
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._tokens: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, bearer: str | None, api_key: str | None) -> Principal:
        if bearer:
            return self._principal_for_token(bearer)
        if api_key:
            principal = await self._principal_for_key(api_key)
            if principal is None:
                raise UnauthorizedError("The API key is unknown, revoked or expired.")
            return principal
        raise UnauthorizedError(
            "Authentication required: send `Authorization: Bearer <token>` or `X-API-Key`.",
            error=None,
        )

    async def enforce_rate_limit(self, principal: Principal) -> None:
        """429 past the caller's quota; an unreachable limiter lets the request through or
        answers 503, as `rate_limit_store_down` says."""
        if not self.settings.rate_limit_enabled:
            return
        try:
            decision = await self.quota.hit(
                principal.rate_key,
                self.settings.rate_limit_requests,
                self.settings.rate_limit_window_s,
            )
        except RateLimitUnavailable as exc:
            # `allow` keeps the product up when Redis blips, `refuse` keeps every caller within
            # its quota (production's default); the login limits always fail closed.
            log.warning("rate_limit.unavailable", scope="api", fails_open=self.quota_fails_open)
            if self.quota_fails_open:
                return
            raise ServiceUnavailableError(
                "The rate limit store is unreachable; retry later.",
                headers={"Retry-After": str(QUOTA_STORE_RETRY_AFTER_S)},
            ) from exc
        if not decision.allowed:
            raise TooManyRequestsError(
                "Too many requests for this caller; retry later.",
                retry_after_s=decision.retry_after_s,
            )

    def _principal_for_token(self, token: str) -> Principal:
        verified = self._tokens.get(token)
        if verified is not None and verified[0] > time.time():
            return verified[1]
        try:
            claims = self.codec.decode(token)
        except InvalidTokenError as exc:
            raise UnauthorizedError(str(exc)) from exc
        principal = Principal(user_id=claims.subject, scopes=claims.scopes, via="token")
        if len(self._tokens) >= _CACHE_MAX:
            self._tokens.clear()
        self._tokens[token] = (claims.expires_at.timestamp(), principal)
        return principal

    async def _principal_for_key(self, secret: str) -> Principal | None:
        digest = secret_digest(secret)
        now = time.monotonic()
        cached = self._keys.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await self._load_key(secret)
        if len(self._keys) >= _CACHE_MAX:
            self._keys.clear()
        self._keys[digest] = (now + self.settings.api_key_cache_s, principal)
        return principal

    async def _load_key(self, secret: str) -> Principal | None:
        try:
            async with self.database.session() as session:
                key = await find_active_key(session, secret)
                user = await session.get(User, key.user_id) if key is not None else None
        except (OSError, SQLAlchemyError) as exc:
            raise ServiceUnavailableError("Credentials cannot be checked right now.") from exc
        if key is None or user is None:
            return None
        scopes = frozenset(str(s) for s in key.scopes) & effective_scopes(user)
        return Principal(user_id=str(user.id), scopes=scopes, via="api_key", api_key_id=str(key.id))
