import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from server.config import Settings
from server.core.security.tokens import InvalidTokenError, TokenCodec, new_secret, secret_digest
from server.tests.support.settings import SettingsFactory


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(settings: Settings, **overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "abc",
        "scope": "predict",
    }
    claims.update(overrides)
    return claims


def hs256_token(secret: str, claims: dict[str, object]) -> str:
    """Sign by hand, so tests can sign with keys jose itself refuses to use for HMAC."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_a_token_round_trips_with_its_subject_and_scopes(make_settings: SettingsFactory) -> None:
    codec = TokenCodec(make_settings())
    token, ttl = codec.issue("user-1", ["predict", "jobs"])
    claims = codec.decode(token)
    assert (claims.subject, claims.scopes, ttl) == ("user-1", frozenset({"predict", "jobs"}), 900)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": 1}, "expired"),
        ({"nbf": 4_000_000_000, "exp": 4_000_000_600}, "not yet valid"),
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "someone-else"}, "issuer"),
    ],
)
def test_claims_outside_the_contract_are_refused(
    make_settings: SettingsFactory, overrides: dict[str, object], reason: str
) -> None:
    settings = make_settings()
    token = hs256_token(settings.jwt_secret.get_secret_value(), _claims(settings, **overrides))
    with pytest.raises(InvalidTokenError, match=reason):
        TokenCodec(settings).decode(token)


@pytest.mark.parametrize("missing", ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"])
def test_every_registered_claim_is_required(make_settings: SettingsFactory, missing: str) -> None:
    settings = make_settings()
    claims = _claims(settings)
    del claims[missing]
    token = hs256_token(settings.jwt_secret.get_secret_value(), claims)
    with pytest.raises(InvalidTokenError):
        TokenCodec(settings).decode(token)


def test_a_leeway_tolerates_small_clock_skew(make_settings: SettingsFactory) -> None:
    settings = make_settings(jwt_leeway_s=30)
    codec = TokenCodec(settings)
    token, _ = codec.issue("user-1", [], now=datetime.now(UTC) + timedelta(seconds=10))
    assert codec.decode(token).subject == "user-1"


def test_a_tampered_payload_fails_the_signature(make_settings: SettingsFactory) -> None:
    codec = TokenCodec(make_settings())
    token, _ = codec.issue("user-1", ["predict"])
    header, _, signature = token.split(".")
    forged = _b64(json.dumps(_claims(make_settings(), scope="users:admin")).encode())
    with pytest.raises(InvalidTokenError, match="signature"):
        codec.decode(f"{header}.{forged}.{signature}")


def test_alg_none_is_refused(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(settings)).encode())
    with pytest.raises(InvalidTokenError, match="algorithm"):
        TokenCodec(settings).decode(f"{header}.{payload}.")


def test_rs256_signs_with_the_private_key_and_verifies_with_the_public_one(
    make_settings: SettingsFactory,
) -> None:
    private, public = rsa_pair()
    codec = TokenCodec(
        make_settings(jwt_algorithm="RS256", jwt_private_key=private, jwt_public_key=public)
    )
    token, _ = codec.issue("user-1", ["jobs"])
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert codec.decode(token).scopes == {"jobs"}


def test_an_hs256_token_signed_with_the_rs256_public_key_is_refused(
    make_settings: SettingsFactory,
) -> None:
    private, public = rsa_pair()
    settings = make_settings(jwt_algorithm="RS256", jwt_private_key=private, jwt_public_key=public)
    with pytest.raises(InvalidTokenError, match="algorithm"):
        TokenCodec(settings).decode(hs256_token(public, _claims(settings)))


def test_rs256_without_a_key_pair_is_refused_at_start(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValueError, match="RS256 needs"):
        make_settings(jwt_algorithm="RS256")


def test_secrets_are_random_and_stored_as_digests() -> None:
    first, second = new_secret("tt_"), new_secret("tt_")
    assert first != second
    assert first.startswith("tt_")
    assert len(first) > 40
    assert secret_digest(first) == hashlib.sha256(first.encode()).hexdigest()
