"""Who is calling: the identity every authorized operation acts for."""

from dataclasses import dataclass
from typing import Literal

from server.core.security.scopes import Scope


@dataclass(frozen=True, slots=True)
class Principal:
    """A user acting through an access token, or through one of their API keys."""

    user_id: str
    scopes: frozenset[str]
    via: Literal["token", "api_key"]
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return Scope.users_admin in self.scopes

    @property
    def owner_filter(self) -> str | None:
        """The owner a listing is restricted to: the user, or nobody for an administrator."""
        return None if self.is_admin else self.user_id

    @property
    def rate_key(self) -> str:
        """What the per-caller rate limit counts against."""
        return f"key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"
