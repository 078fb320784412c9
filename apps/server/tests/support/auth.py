"""Credentials for tests: access tokens minted with the app's own settings.

Every token's subject must be an active user: each provisioned test database holds the
administrator `ADMIN_ID` (see `databases.provision_database`); tests of sign-in, refresh and
API keys create real users of their own.
"""

from collections.abc import Iterable

from server.config import Settings
from server.core.security.scopes import ALL_SCOPES
from server.core.security.tokens import TokenCodec

ADMIN_ID = "00000000-0000-4000-8000-00000000a0a0"
"""The subject of the default test client: holds every scope, `users:admin` included."""
ADMIN_EMAIL = "test-admin@example.com"


def bearer_headers(
    settings: Settings, subject: str = ADMIN_ID, scopes: Iterable[str] = ALL_SCOPES
) -> dict[str, str]:
    token, _ = TokenCodec(settings).issue(subject, scopes)
    return {"Authorization": f"Bearer {token}"}
