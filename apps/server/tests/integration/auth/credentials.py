"""Credential kinds the auth matrix walks every route with: broken ones and a valid one."""

import base64
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from server.config import Settings
from server.core.security.scopes import ALL_SCOPES
from server.core.security.tokens import TokenCodec
from server.tests.support.auth import ADMIN_ID
from server.tests.unit.core.security.test_tokens import hs256_token

Headers = dict[str, str]


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def _claims(settings: Settings, **overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": ADMIN_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "matrix",
        "scope": " ".join(sorted(ALL_SCOPES)),
    }
    return {**claims, **overrides}


def _signed(settings: Settings, **overrides: object) -> Headers:
    return _bearer(
        hs256_token(settings.jwt_secret.get_secret_value(), _claims(settings, **overrides))
    )


def expired(settings: Settings) -> Headers:
    codec = TokenCodec(settings)
    token, _ = codec.issue(ADMIN_ID, ALL_SCOPES, now=datetime.now(UTC) - timedelta(hours=2))
    return _bearer(token)


def not_yet_valid(settings: Settings) -> Headers:
    later = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    return _signed(settings, nbf=later, iat=later, exp=later + 600)


def wrong_audience(settings: Settings) -> Headers:
    return _signed(settings, aud="another-service")


def wrong_issuer(settings: Settings) -> Headers:
    return _signed(settings, iss="https://attacker.example")


def tampered(settings: Settings) -> Headers:
    token, _ = TokenCodec(settings).issue(ADMIN_ID, ["predict"])
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = " ".join(sorted(ALL_SCOPES))
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return _bearer(f"{header}.{forged}.{signature}")


def alg_none(settings: Settings) -> Headers:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(_claims(settings)).encode()).rstrip(b"=")
    return _bearer(f"{header}.{payload.decode()}.")


def garbage(_: Settings) -> Headers:
    return _bearer("not-a-jwt")


def unknown_api_key(_: Settings) -> Headers:
    return {"X-API-Key": "tt_" + "A" * 43}


BROKEN: dict[str, Callable[[Settings], Headers]] = {
    "none": lambda _: {},
    "expired": expired,
    "not_yet_valid": not_yet_valid,
    "wrong_audience": wrong_audience,
    "wrong_issuer": wrong_issuer,
    "tampered": tampered,
    "alg_none": alg_none,
    "garbage": garbage,
    "unknown_api_key": unknown_api_key,
}
"""Every kind here must get 401 with `WWW-Authenticate` on every protected route."""


def with_scopes(settings: Settings, scopes: Iterable[str]) -> Headers:
    token, _ = TokenCodec(settings).issue(ADMIN_ID, scopes)
    return _bearer(token)
