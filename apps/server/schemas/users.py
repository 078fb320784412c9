"""User bodies."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from server.core.security.scopes import Scope
from server.core.text import PlainText, SafeText
from server.schemas.base import RequestModel


class UserCreate(RequestModel):
    email: Annotated[PlainText, Field(min_length=3, max_length=320)]
    password: Annotated[PlainText, Field(min_length=1, max_length=1024)]
    full_name: Annotated[SafeText, Field(max_length=200)] | None = None
    scopes: list[Scope] = Field(default_factory=list, max_length=len(Scope))
    is_superuser: bool = False


class UserUpdate(RequestModel):
    """Only the fields given change. Disabling the user or setting a password revokes every
    access token, refresh token and session of the user at once."""

    is_active: bool | None = None
    full_name: Annotated[SafeText, Field(max_length=200)] | None = None
    scopes: list[Scope] | None = Field(None, max_length=len(Scope))
    password: Annotated[PlainText, Field(min_length=1, max_length=1024)] | None = None


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str | None
    scopes: list[str] = Field(description="Scopes the user holds (a superuser holds all).")
    is_superuser: bool
    is_active: bool
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
