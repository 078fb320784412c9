"""Turning the credentials of a request into a `Principal`, and the per-caller rate limit.

A token's signature is verified once and the verdict remembered until it expires (python-jose
costs ~110 us; a dict lookup ~1 us). On every request the token is then held against its
user's current state (`credential_state`): a token of a disabled, deleted or signed-out user,
or of an older token generation, is refused at once, and its scopes are cut down to what
the user holds now. API keys are looked up by digest and the verdict, positive or negative,
cached for `api_key_cache_s`. Both caches are emptied through the revocation bus the moment
any API process revokes something, and are not trusted while the bus is not listening.

Failed checks are charged to the client address (`auth_failure_limit`): past its budget an
address gets 429 for anything not already verified, without a lookup.
"""

import time
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import SQLAlchemyError

from server.config import Environment, Settings
from server.core.errors import ServiceUnavailableError, TooManyRequestsError, UnauthorizedError
from server.core.rate_limit import FailureBudget, LeasedQuota, RateLimiter, RateLimitUnavailable
from server.core.refreshing_cache import RefreshingCache
from server.core.security.principal import Principal
from server.core.security.revocation import EVERYTHING, RevocationBus
from server.core.security.tokens import InvalidTokenError, TokenCodec, secret_digest
from server.database import user_repository
from server.database.session import Database
from server.services.api_keys import find_active_key
from server.services.credential_state import REFRESH_AHEAD_SHARE, UserState, UserStates
from server.services.users import effective_scopes

log = structlog.get_logger(__name__)

_CACHE_MAX = 10_000
QUOTA_STORE_RETRY_AFTER_S = 5
_TOO_MANY_FAILURES = "Too many failed credential checks from this address; retry later."
_NO_USER = "The user of these credentials no longer exists or is disabled."
_REVOKED = "The access token was revoked; sign in again."
_UNAVAILABLE = "Credentials cannot be checked right now."


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token whose signature and claims were checked, and what it granted last time."""

    expires_at: float
    user_id: str
    generation: int
    session_id: str | None
    scopes: frozenset[str]
    state: UserState | None = None
    principal: Principal | None = None


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        codec: TokenCodec,
        limiter: RateLimiter,
        revocations: RevocationBus,
    ) -> None:
        self.settings = settings
        self.database = database
        self.codec = codec
        self.revocations = revocations
        self.quota = LeasedQuota(limiter, settings.rate_limit_lease)
        store_down = settings.rate_limit_store_down or (
            "refuse" if settings.env is Environment.production else "allow"
        )
        self.quota_fails_open = store_down == "allow"
        self.failures = FailureBudget(
            limiter,
            limit=settings.auth_failure_limit,
            window_s=settings.auth_failure_window_s,
            scope="authfail",
        )
        self.users = UserStates(
            database,
            revocations,
            ttl_s=settings.auth_state_cache_s,
            session_window_s=settings.access_token_ttl_s + settings.jwt_leeway_s,
        )
        # API key digest -> its principal (None: no such active key).
        self._keys: RefreshingCache[str, Principal | None] = RefreshingCache(
            self._load_key,
            ttl_s=settings.api_key_cache_s,
            refresh_ahead_s=settings.api_key_cache_s * REFRESH_AHEAD_SHARE,
            max_entries=_CACHE_MAX,
            trusted=lambda: revocations.listening,
        )
        self._tokens: dict[str, _Verified] = {}
        revocations.subscribe(self._on_revocation)

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
                return await self._principal_for_token(bearer)
            assert api_key is not None  # noqa: S101 - one of the two is set
            principal = await self._principal_for_key(api_key)
            if principal is None:
                raise UnauthorizedError("The API key is unknown, revoked or expired.")
            return principal
        except UnauthorizedError as exc:
            await self._count_failure(address, exc)
            raise

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

    def _remembered(self, bearer: str | None, api_key: str | None) -> Principal | None:
        """The hot path: a principal granted before, with nothing changed since."""
        if bearer:
            verified = self._tokens.get(bearer)
            if (
                verified is not None
                and verified.principal is not None
                and verified.expires_at > time.time()
                and self.users.cached(verified.user_id) is verified.state
            ):
                return verified.principal
            return None
        found, principal = self._keys.peek(secret_digest(api_key or ""))
        return principal if found else None

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

    async def _principal_for_token(self, token: str) -> Principal:
        verified = self._tokens.get(token)
        if verified is None or verified.expires_at <= time.time():
            verified = self._verify(token)
        try:
            state = await self.users.get(verified.user_id)
        except (OSError, SQLAlchemyError) as exc:
            raise ServiceUnavailableError(_UNAVAILABLE) from exc
        if state is None:
            raise UnauthorizedError(_NO_USER)
        if verified.generation != state.generation or verified.session_id in (
            state.revoked_sessions
        ):
            raise UnauthorizedError(_REVOKED)
        principal = Principal(
            user_id=verified.user_id, scopes=verified.scopes & state.scopes, via="token"
        )
        if len(self._tokens) >= _CACHE_MAX:
            self._tokens.clear()
        self._tokens[token] = _Verified(
            verified.expires_at,
            verified.user_id,
            verified.generation,
            verified.session_id,
            verified.scopes,
            state,
            principal,
        )
        return principal

    def _verify(self, token: str) -> _Verified:
        try:
            claims = self.codec.decode(token)
        except InvalidTokenError as exc:
            raise UnauthorizedError(str(exc)) from exc
        return _Verified(
            claims.expires_at.timestamp(),
            claims.subject,
            claims.generation,
            claims.session_id,
            claims.scopes,
        )

    async def _principal_for_key(self, secret: str) -> Principal | None:
        return await self._keys.get(secret_digest(secret))

    async def _load_key(self, digest: str) -> Principal | None:
        try:
            async with self.database.session() as session:
                key = await find_active_key(session, digest)
                user = None if key is None else await user_repository.get_user(session, key.user_id)
        except (OSError, SQLAlchemyError) as exc:
            raise ServiceUnavailableError(_UNAVAILABLE) from exc
        if key is None or user is None or not user.is_active:
            return None
        scopes = frozenset(str(s) for s in key.scopes) & effective_scopes(user)
        return Principal(user_id=str(user.id), scopes=scopes, via="api_key", api_key_id=str(key.id))

    async def aclose(self) -> None:
        await self._keys.aclose()
        await self.users.aclose()

    def _on_revocation(self, message: str) -> None:
        """Forget what a revocation made stale (called by the bus, on the event loop)."""
        self.users.invalidate(message)
        kind, _, subject = message.partition(":")
        if message == EVERYTHING:
            self._keys.invalidate()
        elif kind in ("user", "key"):
            attribute = "user_id" if kind == "user" else "api_key_id"
            self._keys.invalidate(
                lambda _, principal: (
                    principal is not None and getattr(principal, attribute) == subject
                )
            )
