"""CSRF tokens for the refresh cookie: a signed double-submit token bound to the session.

A browser that keeps its refresh token in an HttpOnly cookie sends that cookie by itself,
so a request that uses it must also prove it comes from a page of this site. The proof is
a token the page reads from a non-HttpOnly cookie and echoes in the `X-CSRF-Token` header
(another site can neither read the cookie nor set the header without a CORS preflight).

The token is `nonce.signature`, where the signature is an HMAC, under a key derived from
the application secret, of the nonce and the digest of the refresh token it accompanies.
So it is worthless without the refresh token it was issued with: a token planted by a
sibling subdomain ("cookie tossing") or kept from an earlier session does not verify, and
each rotation of the refresh token issues a new one (OWASP's "signed double-submit cookie").
"""

import hashlib
import hmac
import secrets
from http import HTTPStatus

from server.config import Settings
from server.core.errors import AppError
from server.core.security.tokens import secret_digest

CSRF_HEADER = "X-CSRF-Token"
_KEY_LABEL = b"ticket-triage refresh-cookie csrf v1"


class CsrfError(AppError):
    """A cookie-borne credential came without a valid proof of origin."""

    status = HTTPStatus.FORBIDDEN
    slug = "csrf-check-failed"


class CsrfTokens:
    """Issues and verifies CSRF tokens bound to a refresh token."""

    def __init__(self, settings: Settings) -> None:
        # A key of its own (derived, not the JWT key itself): a CSRF token is never a JWT
        # signature and cannot be turned into one.
        secret = settings.jwt_secret.get_secret_value().encode()
        self._key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()

    def issue(self, refresh_token: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._sign(nonce, refresh_token)}"

    def verify(self, refresh_token: str, header: str | None, cookie: str | None) -> None:
        """Return when `header` echoes `cookie` and both were issued with `refresh_token`."""
        if not header:
            raise CsrfError(f"Using the refresh cookie needs the {CSRF_HEADER} header.")
        if cookie is None or not hmac.compare_digest(header.encode(), cookie.encode()):
            raise CsrfError(f"The {CSRF_HEADER} header does not match the CSRF cookie.")
        nonce, _, signature = header.partition(".")
        expected = self._sign(nonce, refresh_token)
        if not nonce or not hmac.compare_digest(signature.encode(), expected.encode()):
            raise CsrfError(f"The {CSRF_HEADER} header was not issued for this session.")

    def _sign(self, nonce: str, refresh_token: str) -> str:
        message = f"{nonce}.{secret_digest(refresh_token)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
