"""Settings of authentication, authorization and abuse limits."""

from pydantic import BaseModel, Field, SecretStr

DEFAULT_JWT_SECRET = "changethis-development-only-secret"  # noqa: S105 - refused in production
MIN_SECRET_BYTES = 32


class SecuritySettings(BaseModel):
    """Security: tokens, users, API keys, rate limits."""

    jwt_secret: SecretStr = Field(
        SecretStr(DEFAULT_JWT_SECRET),
        description="HMAC key for access tokens; at least 32 bytes and not the default in "
        "production. Prefer the secrets file `jwt_secret`.",
    )
