"""Password sign-in guarded against brute force: a per-address rate limit, and exponential
backoff on failures per (account, address) and per address (see `LoginGuard`).

No account is ever locked: failures slow down the address that makes them, so nobody can
keep the owner (an administrator included) out by failing on purpose. Unknown accounts are
counted like real ones, and a wrong password costs the same time as an unknown e-mail, so
neither the answers nor their timing tell which e-mails exist. If the limiter's store is
unreachable, sign-in fails closed (503): guessing passwords must never become unlimited.
"""

from server.config import Settings
from server.core.errors import ServiceUnavailableError, TooManyRequestsError, UnauthorizedError
from server.core.rate_limit import LoginGuard, RateLimiter, RateLimitUnavailable
from server.services.sessions import SessionService, TokenPair
from server.services.users import normalize_email

_SLOWED = "Too many failed sign-ins from this address; retry later."


async def _check_limits(
    settings: Settings, limiter: RateLimiter, guard: LoginGuard, account: str, client_ip: str
) -> None:
    if settings.rate_limit_enabled:
        limit, window_s = settings.login_rate_limit_ip, settings.login_rate_limit_window_s
        decision = await limiter.hit(f"login:ip:{client_ip}", limit, window_s)
        if not decision.allowed:
            raise TooManyRequestsError(
                "Too many sign-in attempts; retry later.", retry_after_s=decision.retry_after_s
            )
    wait = await guard.admit(account, client_ip)
    if wait > 0:
        raise TooManyRequestsError(_SLOWED, retry_after_s=wait)


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
        if user is None:  # the admitted attempt already counts as a failure
            raise UnauthorizedError("Incorrect e-mail or password.", error=None)
        await guard.succeeded(account, client_ip)
    except RateLimitUnavailable as exc:
        raise ServiceUnavailableError("Sign-in is unavailable right now; retry later.") from exc
    return await sessions.start(user, requested_scopes)
