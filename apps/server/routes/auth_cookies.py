"""The web console's refresh token as an HttpOnly cookie, and the CSRF proof that goes with it.

A browser opts in at sign-in with `X-Refresh-Token-Transport: cookie`. The refresh token is
then set as an HttpOnly, SameSite=Strict cookie scoped to `/api/v1/auth` (script cannot read
it, other sites cannot make the browser send it, and no other route ever receives it) and
left out of the JSON body. Next to it a readable CSRF cookie (Path=/ so the page can read it)
carries a token the page echoes in `X-CSRF-Token` when it refreshes or signs out. With
`refresh_cookie_secure` the cookies are `Secure` and use the `__Secure-` / `__Host-` name
prefixes, which a plain-HTTP page or a sibling subdomain cannot set.

Clients that send the refresh token in the body are unaffected: no cookie is read or set
for them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import Request, Response

from server.config import Settings
from server.core.security.csrf import CsrfError, CsrfTokens
from server.routes import API_V1
from server.services.sessions import TokenPair

TRANSPORT_HEADER = "X-Refresh-Token-Transport"
REFRESH_COOKIE_PATH = f"{API_V1}/auth"


@dataclass(frozen=True, slots=True)
class CookieNames:
    refresh: str
    csrf: str


def cookie_names(secure: bool) -> CookieNames:
    """`__Host-` needs Path=/, so only the CSRF cookie can carry it; both need `Secure`."""
    if secure:
        return CookieNames(refresh="__Secure-tt_refresh", csrf="__Host-tt_csrf")
    return CookieNames(refresh="tt_refresh", csrf="tt_csrf")


class RefreshCookies:
    """Sets, clears and reads the refresh and CSRF cookies under the app's settings."""

    def __init__(self, settings: Settings) -> None:
        self.secure = settings.refresh_cookie_secure
        self.names = cookie_names(self.secure)
        self.csrf = CsrfTokens(settings)
        self.origins = frozenset(settings.cors_origins) - {"*"}

    def set(self, response: Response, pair: TokenPair) -> None:
        """Both cookies for `pair`, living as long as its refresh token (its family) does."""
        max_age = max(0, int((pair.refresh_expires_at - datetime.now(UTC)).total_seconds()))
        response.set_cookie(
            self.names.refresh,
            pair.refresh_token,
            max_age=max_age,
            path=REFRESH_COOKIE_PATH,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
        response.set_cookie(
            self.names.csrf,
            self.csrf.issue(pair.refresh_token),
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=False,  # the page reads it to echo it in the header
            samesite="strict",
        )

    def clear(self, response: Response) -> None:
        """Expire both cookies (Max-Age=0), with the attributes they were set with."""
        response.delete_cookie(
            self.names.refresh,
            path=REFRESH_COOKIE_PATH,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
        response.delete_cookie(
            self.names.csrf, path="/", secure=self.secure, httponly=False, samesite="strict"
        )

    def credential(self, request: Request, csrf_header: str | None) -> str | None:
        """The refresh token of the cookie, once the request proved its origin; None when
        there is no refresh cookie. A cookie without a valid proof raises `CsrfError` (403)."""
        token = request.cookies.get(self.names.refresh)
        if not token:
            return None
        self._check_origin(request)
        self.csrf.verify(token, csrf_header, request.cookies.get(self.names.csrf))
        return token

    def _check_origin(self, request: Request) -> None:
        """A browser names the page's origin on every POST: it must be this site (the Host
        it addressed, as the same-origin console and its proxies send it) or an allowed
        CORS origin. No Origin at all is a non-browser client, which the CSRF token binds."""
        origin = request.headers.get("origin")
        if origin is None or origin in self.origins:
            return
        host = urlsplit(origin).netloc
        if host and host == request.headers.get("host"):
            return
        raise CsrfError("The refresh cookie was sent from an origin this API does not serve.")
