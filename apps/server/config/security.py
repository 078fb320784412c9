"""Settings of authentication, authorization and abuse limits, and what production refuses."""

import ipaddress
import math
from collections import Counter
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from server.config.base import CsvList, split_csv

# Refused in production by the settings validator; only a laptop ever signs with it.
DEFAULT_JWT_SECRET = "changethis-development-only-secret"  # noqa: S105  # nosec B105
MIN_SECRET_BYTES = 32
# An HMAC key should carry at least 128 bits. Estimated from the secret's own character
# frequencies (Shannon): `openssl rand -hex 32` gives ~250, 32 identical characters 0.
MIN_SECRET_ENTROPY_BITS = 128


class SecuritySettings(BaseModel):
    """Security: tokens, users, API keys, rate limits."""

    jwt_secret: SecretStr = Field(
        SecretStr(DEFAULT_JWT_SECRET),
        description="HMAC key for access tokens; in production at least 32 bytes, 128 bits of "
        "entropy and not the default (`openssl rand -hex 32`). Prefer the secrets file "
        "`jwt_secret`.",
    )
    jwt_algorithm: Literal["HS256", "RS256"] = Field(
        "HS256",
        description="Signing algorithm of access tokens; the only one accepted on the way in. "
        "RS256 needs `jwt_private_key` and `jwt_public_key`.",
    )
    jwt_private_key: SecretStr | None = Field(
        None, description="PEM RSA private key for RS256 (secrets file `jwt_private_key`)."
    )
    jwt_public_key: str | None = Field(None, description="PEM RSA public key for RS256.")
    jwt_issuer: str = Field("ticket-triage", description="`iss` of issued and accepted tokens.")
    jwt_audience: str = Field(
        "ticket-triage-api", description="`aud` of issued and accepted tokens."
    )
    jwt_leeway_s: int = Field(
        10, ge=0, le=300, description="Clock skew tolerated on `exp` and `nbf`, in seconds."
    )
    access_token_ttl_s: int = Field(
        900, ge=30, le=86_400, description="Lifetime of an access token, in seconds."
    )
    refresh_token_ttl_s: int = Field(
        14 * 86_400, ge=300, description="Lifetime of a refresh token family, in seconds."
    )
    refresh_cookie_secure: bool = Field(
        True,
        description="Mark the web console's refresh and CSRF cookies `Secure` (HTTPS only, "
        "`__Secure-`/`__Host-` names). False only for plain-HTTP development on a host other "
        "than localhost; refused in production.",
    )

    first_superuser_email: str | None = Field(
        None, description="Superuser created at start when no user has this e-mail yet."
    )
    first_superuser_password: SecretStr | None = Field(
        None, description="Its password (secrets file `first_superuser_password`)."
    )
    password_min_length: int = Field(12, ge=8, description="Shortest password accepted.")
    password_max_length: int = Field(
        128, ge=16, le=1024, description="Longest password accepted (bounds hashing cost)."
    )
    password_min_classes: int = Field(
        3,
        ge=1,
        le=4,
        description="Character classes a password needs (lower, upper, digit, other).",
    )
    argon2_time_cost: int = Field(
        2, ge=1, description="argon2id passes over memory (OWASP's minimum: 2 with 19 MiB)."
    )
    argon2_memory_kib: int = Field(19_456, ge=1024, description="argon2id memory per hash, in KiB.")
    argon2_parallelism: int = Field(1, ge=1, description="argon2id lanes.")

    api_key_cache_s: float = Field(
        5.0,
        ge=0,
        description="Seconds an API process trusts a looked-up API key. Revoking a key, or "
        "disabling its user, empties every process's cache at once (Redis pub/sub); this "
        "lifetime matters only if that message is lost.",
    )
    auth_state_cache_s: float = Field(
        30.0,
        ge=0,
        description="Seconds an API process trusts a user's cached state (active, token "
        "generation, scopes, revoked sessions). Disabling, deleting or signing out empties "
        "every process's entry at once (Redis pub/sub); without a listening bus the "
        "database is asked on every request.",
    )

    rate_limit_enabled: bool = Field(True, description="Apply the rate limits below.")
    rate_limit_requests: int = Field(
        1200, ge=1, description="Requests per window for one user or API key."
    )
    rate_limit_window_s: int = Field(60, ge=1, description="Window of the per-user limit.")
    rate_limit_lease: int = Field(
        10,
        ge=1,
        description="Hits of the per-user limit an API process takes from Redis at once (one "
        "round trip per that many requests); a caller may be refused up to lease - 1 "
        "requests early per process, never allowed more. 1: exact.",
    )
    login_rate_limit_ip: int = Field(
        20, ge=1, description="Login attempts per window from one client address."
    )
    login_rate_limit_window_s: int = Field(60, ge=1, description="Window of the login limits.")
    login_free_failures: int = Field(
        3,
        ge=1,
        description="Failed sign-ins to one account from one client address allowed back to "
        "back; after them each failure doubles the wait before the next attempt. Accounts "
        "are never locked: an address without failures always gets to try.",
    )
    login_address_free_failures: int = Field(
        20,
        ge=1,
        description="Failed sign-ins from one client address (any accounts) allowed back to "
        "back before its attempts slow down the same way.",
    )
    login_backoff_base_s: float = Field(
        1.0, gt=0, le=3600, description="First wait after the free failures, in seconds."
    )
    login_backoff_max_s: float = Field(
        900, gt=0, le=86_400, description="Longest wait between attempts, in seconds."
    )
    login_failure_memory_s: int = Field(
        86_400,
        ge=1,
        description="Seconds after its last wait ends that a run of failures is forgotten.",
    )
    auth_failure_limit: int = Field(
        20,
        ge=1,
        description="Failed credential checks (unknown API keys, bad or expired tokens) one "
        "client address may cause per `auth_failure_window_s` before getting 429.",
    )
    auth_failure_window_s: int = Field(
        60, ge=1, description="Window of `auth_failure_limit`, in seconds."
    )

    rate_limit_store_down: Literal["refuse", "allow"] | None = Field(
        None,
        description="What the per-caller API quota does when Redis cannot be reached: "
        "`refuse` (503 with Retry-After) or `allow` (let requests through, logged). Unset: "
        "refuse in production, allow elsewhere. Sign-in always refuses.",
    )

    forwarded_allow_ips: CsvList = Field(
        [],
        description="Proxies whose `X-Forwarded-For` and `-Proto` are believed: addresses or "
        "CIDR networks (comma-separated). The client is the right-most address not in this "
        "list. Empty: none, the peer is the client. `*` is refused in production.",
    )
    trusted_hosts: CsvList = Field(
        ["*"],
        description="Host headers accepted (comma-separated, `*.example.com` allowed); probes "
        "on /health, /readiness and /metrics are exempt. A malformed Host is always refused; "
        "`*` is refused in production.",
    )
    hsts_max_age_s: int = Field(
        31_536_000, ge=0, description="HSTS max-age sent in production (0: no header)."
    )

    @field_validator("trusted_hosts", "forwarded_allow_ips", mode="before")
    @classmethod
    def _parse_hosts(cls, value: Any) -> Any:
        return split_csv(value)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry)  # an address is a network of one
            except ValueError:
                # The message names the rule, never the value (settings may hold secrets).
                raise ValueError(
                    "each entry must be an IP address or a CIDR network (host bits zero), or *"
                ) from None
        return value

    @model_validator(mode="after")
    def _check_key_pair(self) -> Self:
        if self.jwt_algorithm == "RS256" and not (self.jwt_private_key and self.jwt_public_key):
            raise ValueError("APP_JWT_ALGORITHM=RS256 needs APP_JWT_PRIVATE_KEY and _PUBLIC_KEY")
        if self.login_backoff_max_s < self.login_backoff_base_s:
            raise ValueError("APP_LOGIN_BACKOFF_MAX_S is below APP_LOGIN_BACKOFF_BASE_S")
        if self.password_max_length < self.password_min_length:
            raise ValueError("APP_PASSWORD_MAX_LENGTH is below APP_PASSWORD_MIN_LENGTH")
        return self


def secret_entropy_bits(secret: str) -> float:
    """Entropy of `secret` estimated from its own character frequencies, in bits."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    total = len(secret)
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_char * total


def _is_local_origin(origin: str) -> bool:
    """Whether `origin` is on the browser's own machine (localhost, loopback): with
    credentials allowed, any page served there (a dev server, a local app) could call the
    production API as the signed-in user."""
    try:
        host = urlsplit(origin).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def jwt_secret_problem(secret: str) -> str | None:
    """Why `secret` is unfit for production, or None. Never quotes the secret."""
    if secret == DEFAULT_JWT_SECRET or secret.startswith("changethis"):
        return "APP_JWT_SECRET is the default; set a random secret"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"APP_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes"
    if secret_entropy_bits(secret) < MIN_SECRET_ENTROPY_BITS:
        return (
            f"APP_JWT_SECRET carries less than {MIN_SECRET_ENTROPY_BITS} bits of entropy "
            "(too few distinct characters); use e.g. `openssl rand -hex 32`"
        )
    return None


def edge_problems(
    *,
    trusted_hosts: list[str],
    cors_origins: list[str],
    forwarded_allow_ips: list[str],
    refresh_cookie_secure: bool = True,
) -> list[str]:
    """Production refusals about who may reach the API and what it believes about them."""
    problems: list[str] = []
    if not refresh_cookie_secure:
        problems.append(
            "APP_REFRESH_COOKIE_SECURE is false (the refresh cookie would travel over plain "
            "HTTP); production serves HTTPS"
        )
    if "*" in trusted_hosts:
        problems.append("APP_TRUSTED_HOSTS contains '*'; list the host names the API serves")
    if any(_is_local_origin(origin) for origin in cors_origins):
        problems.append(
            "APP_CORS_ORIGINS lists a localhost origin (a development default); list only "
            "the origins of deployed web apps"
        )
    if "*" in forwarded_allow_ips:
        problems.append(
            "APP_FORWARDED_ALLOW_IPS contains '*' (any client could forge its address); "
            "list the proxies' addresses or networks"
        )
    return problems
