"""Password sign-in guarded against brute force: per-address and per-account rate limits,
and a lockout after repeated failures.

Unknown accounts are counted and locked like real ones, and a wrong password costs the same
time as an unknown e-mail, so neither the answers nor their timing tell which e-mails exist.
If the limiter's store is unreachable, sign-in fails closed (503): guessing passwords must
never become unlimited.
"""

from server.config import Settings
from server.core.errors import ServiceUnavailableError, TooManyRequestsError, UnauthorizedError
from server.core.rate_limit import LoginGuard, RateLimiter, RateLimitUnavailable
from server.services.sessions import SessionService, TokenPair
from server.services.users import normalize_email

_LOCKED = "This account is locked after repeated failed sign-ins; retry later."


async def _check_limits(
    settings: Settings, limiter: RateLimiter, guard: LoginGuard, account: str, client_ip: str
) -> None:
    if settings.rate_limit_enabled:
        for key, limit in (
            (f"login:ip:{client_ip}", settings.login_rate_limit_ip),
            (f"login:account:{account}", settings.login_rate_limit_account),
        ):
            decision = await limiter.hit(key, limit, settings.login_rate_limit_window_s)
            if not decision.allowed:
                raise TooManyRequestsError(
                    "Too many sign-in attempts; retry later.", retry_after_s=decision.retry_after_s
                )
    locked_for = await guard.locked_for(account)
    if locked_for > 0:
        raise TooManyRequestsError(_LOCKED, retry_after_s=locked_for)


async def sign_in(
    sessions: SessionService,
    limiter: RateLimiter,
    guard: LoginGuard,
    *,
    email: str,
    password: str,
    client_ip: str,
    requested_scopes: frozenset[str] | None,
) -> TokenPair:
    settings = sessions.settings
    account = normalize_email(email)
    try:
        await _check_limits(settings, limiter, guard, account, client_ip)
        user = await sessions.check_password(account, password)
        if user is None:
            locked_for = await guard.record_failure(account)
            if locked_for > 0:
                raise TooManyRequestsError(_LOCKED, retry_after_s=locked_for)
            raise UnauthorizedError("Incorrect e-mail or password.", error=None)
        await guard.record_success(account)
    except RateLimitUnavailable as exc:
        raise ServiceUnavailableError("Sign-in is unavailable right now; retry later.") from exc
    return await sessions.start(user, requested_scopes)
