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

from server.config import Settings
from server.core.errors import ServiceUnavailableError, TooManyRequestsError, UnauthorizedError
from server.core.rate_limit import FailureBudget, LeasedQuota, RateLimiter, RateLimitUnavailable
from server.core.security.principal import Principal
from server.core.security.tokens import InvalidTokenError, TokenCodec, secret_digest
from server.database.auth_models import User
from server.database.session import Database
from server.services.api_keys import find_active_key
from server.services.users import effective_scopes

log = structlog.get_logger(__name__)

_CACHE_MAX = 10_000
_TOO_MANY_FAILURES = "Too many failed credential checks from this address; retry later."


class Authenticator:
    def __init__(
        self, settings: Settings, database: Database, codec: TokenCodec, limiter: RateLimiter
    ) -> None:
        self.settings = settings
        self.database = database
        self.codec = codec
        self.quota = LeasedQuota(limiter, settings.rate_limit_lease)
        self.failures = FailureBudget(
            limiter,
            limit=settings.auth_failure_limit,
            window_s=settings.auth_failure_window_s,
            scope="authfail",
        )
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._tokens: dict[str, tuple[float, Principal]] = {}

    async def authenticate(
        self, bearer: str | None, api_key: str | None, address: str
    ) -> Principal:
        """The caller of these credentials; 401 when they are bad, 429 when `address` has
        failed too often (only credentials already verified get through then)."""
        if not bearer and not api_key:
            raise UnauthorizedError(
                "Authentication required: send `Authorization: Bearer <token>` or `X-API-Key`.",
                error=None,
            )
        known = self._remembered(bearer, api_key)
        if known is not None:
            return known
        self._refuse_if_blocked(address)
        try:
            if bearer:
                return self._principal_for_token(bearer)
            assert api_key is not None  # noqa: S101 - one of the two is set
            principal = await self._principal_for_key(api_key)
            if principal is None:
                raise UnauthorizedError("The API key is unknown, revoked or expired.")
            return principal
        except UnauthorizedError as exc:
            await self._count_failure(address, exc)
            raise

    def _remembered(self, bearer: str | None, api_key: str | None) -> Principal | None:
        """A principal verified before and still valid, without any lookup."""
        if bearer:
            verified = self._tokens.get(bearer)
            if verified is not None and verified[0] > time.time():
                return verified[1]
            return None
        cached = self._keys.get(secret_digest(api_key or ""))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return None

    def _refuse_if_blocked(self, address: str) -> None:
        if not self.settings.rate_limit_enabled:
            return
        wait = self.failures.blocked_for(address)
        if wait > 0:
            raise TooManyRequestsError(_TOO_MANY_FAILURES, retry_after_s=wait)

    async def _count_failure(self, address: str, failure: UnauthorizedError) -> None:
        """Charge a failed check to the address; 429 instead of 401 once over its budget."""
        if not self.settings.rate_limit_enabled:
            return
        try:
            wait = await self.failures.record(address)
        except RateLimitUnavailable:
            log.warning("rate_limit.unavailable", scope="auth_failures")
            return
        if wait > 0:
            log.warning("auth.failures_limited", client=address)
            raise TooManyRequestsError(_TOO_MANY_FAILURES, retry_after_s=wait) from failure

    async def enforce_rate_limit(self, principal: Principal) -> None:
        """429 past the caller's quota; an unreachable limiter lets the request through."""
        if not self.settings.rate_limit_enabled:
            return
        try:
            decision = await self.quota.hit(
                principal.rate_key,
                self.settings.rate_limit_requests,
                self.settings.rate_limit_window_s,
            )
        except RateLimitUnavailable:
            # Failing open keeps the product up when Redis blips; the login limits fail closed.
            log.warning("rate_limit.unavailable", scope="api")
            return
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
