"""Settings of authentication, authorization and abuse limits."""

from typing import Any, Literal, Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from server.config.base import CsvList, split_csv

# Refused in production by the settings validator; only a laptop ever signs with it.
DEFAULT_JWT_SECRET = "changethis-development-only-secret"  # noqa: S105  # nosec B105
MIN_SECRET_BYTES = 32


class SecuritySettings(BaseModel):
    """Security: tokens, users, API keys, rate limits."""

    jwt_secret: SecretStr = Field(
        SecretStr(DEFAULT_JWT_SECRET),
        description="HMAC key for access tokens; at least 32 bytes and not the default in "
        "production. Prefer the secrets file `jwt_secret`.",
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
        "than localhost.",
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
        description="Seconds an API process trusts a looked-up API key; a revoked key stops "
        "working at most this long after revocation.",
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
    login_rate_limit_account: int = Field(
        10, ge=1, description="Login attempts per window for one account."
    )
    login_rate_limit_window_s: int = Field(60, ge=1, description="Window of the login limits.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins within `login_failure_window_s` that lock."
    )
    login_failure_window_s: int = Field(
        900, ge=1, description="Window in which failed logins are counted."
    )
    login_lockout_s: int = Field(900, ge=1, description="How long a locked account stays locked.")

    trusted_hosts: CsvList = Field(
        ["*"],
        description="Host headers accepted (comma-separated, `*.example.com` allowed); probes "
        "on /health, /readiness and /metrics are exempt. Set it in production.",
    )
    hsts_max_age_s: int = Field(
        31_536_000, ge=0, description="HSTS max-age sent in production (0: no header)."
    )

    @field_validator("trusted_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: Any) -> Any:
        return split_csv(value)

    @model_validator(mode="after")
    def _check_key_pair(self) -> Self:
        if self.jwt_algorithm == "RS256" and not (self.jwt_private_key and self.jwt_public_key):
            raise ValueError("APP_JWT_ALGORITHM=RS256 needs APP_JWT_PRIVATE_KEY and _PUBLIC_KEY")
        if self.password_max_length < self.password_min_length:
            raise ValueError("APP_PASSWORD_MAX_LENGTH is below APP_PASSWORD_MIN_LENGTH")
        return self
