"""Access tokens (JWT, python-jose) and opaque secrets (refresh tokens, API keys).

Decoding accepts exactly one algorithm, the configured one: a token whose header names
another (`none`, or HS256 signed with the RS256 public key as an HMAC secret) is refused
before any signature check. Every registered claim is required, and so is `gen`, the
user's token generation when the token was issued: a token of an older generation is
revoked (see `services/credential_state.py`). `sid` names the sign-in session, when any.
"""

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from server.config import Settings

_REQUIRED_CLAIMS = ("exp", "iat", "nbf", "iss", "aud", "sub", "jti")


class InvalidTokenError(Exception):
    """The token cannot be trusted; the message says why (safe to show the client)."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str
    scopes: frozenset[str]
    token_id: str
    expires_at: datetime
    generation: int
    session_id: str | None


class TokenCodec:
    """Issues and checks access tokens with the key and claims from Settings."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.ttl = timedelta(seconds=settings.access_token_ttl_s)
        self.leeway_s = settings.jwt_leeway_s
        if settings.jwt_algorithm == "RS256":
            assert settings.jwt_private_key is not None  # noqa: S101 - Settings checks the pair
            self._signing_key = settings.jwt_private_key.get_secret_value()
            self._verifying_key = settings.jwt_public_key or ""
        else:
            self._signing_key = self._verifying_key = settings.jwt_secret.get_secret_value()

    def issue(
        self,
        subject: str,
        scopes: Iterable[str],
        *,
        now: datetime | None = None,
        generation: int = 0,
        session_id: str | None = None,
    ) -> tuple[str, int]:
        """A signed access token for `subject` and its lifetime in seconds."""
        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.ttl,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(sorted(set(scopes))),
            "gen": generation,
            **({"sid": session_id} if session_id else {}),
        }
        token = jwt.encode(claims, self._signing_key, algorithm=self.algorithm)
        return token, int(self.ttl.total_seconds())

    def decode(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidTokenError("The access token is malformed.") from exc
        if header.get("alg") != self.algorithm:
            raise InvalidTokenError("The access token is signed with an unaccepted algorithm.")
        try:
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "leeway": self.leeway_s,
                    **{f"require_{c}": True for c in _REQUIRED_CLAIMS},
                },
            )
        except JWTError as exc:
            raise InvalidTokenError(f"The access token is invalid: {_reason(exc)}.") from exc
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise InvalidTokenError("The access token's scope claim is not a string.")
        generation = claims.get("gen")
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            raise InvalidTokenError("The access token has no valid generation; sign in again.")
        session_id = claims.get("sid")
        if session_id is not None and not isinstance(session_id, str):
            raise InvalidTokenError("The access token's session claim is not a string.")
        return AccessClaims(
            subject=str(claims["sub"]),
            scopes=frozenset(scope.split()),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            generation=generation,
            session_id=session_id,
        )


def _reason(exc: JWTError) -> str:
    """jose's message, lower-cased and without a trailing period (it names no secret)."""
    return str(exc).rstrip(".").lower() or "verification failed"


def new_secret(prefix: str = "") -> str:
    """A fresh opaque secret: 256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """How opaque secrets are stored and looked up (a digest; the secret is never kept)."""
    return hashlib.sha256(secret.encode()).hexdigest()
