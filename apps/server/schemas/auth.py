"""Sign-in, token and API-key bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from server.core.security.scopes import Scope
from server.schemas.base import RequestModel

OpaqueToken = Annotated[str, Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


class TokenResponse(BaseModel):
    """An OAuth2 token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, no secret
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str | None = Field(
        None,
        description="Single use: each refresh returns the next one. Absent when it was set "
        "as a cookie (`X-Refresh-Token-Transport: cookie`).",
    )
    scope: str = Field(description="Space-separated scopes the access token carries.")


class RefreshRequest(RequestModel):
    refresh_token: OpaqueToken


class ApiKeyCreate(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w .:@-]+$")]
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    expires_at: AwareDatetime | None = Field(None, description="Unset: the key never expires.")


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret, shown this once: send it as `X-API-Key`.")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyOut]
    total: int
