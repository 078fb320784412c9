"""Verified access tokens are remembered, but never past their expiry."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server.core.errors import UnauthorizedError
from server.core.rate_limit import build_rate_limiter
from server.core.security.tokens import TokenCodec
from server.database.session import Database
from server.services.authentication import Authenticator
from server.tests.support.settings import SettingsFactory


async def test_a_remembered_token_still_expires(make_settings: SettingsFactory) -> None:
    settings = make_settings(jwt_leeway_s=0, access_token_ttl_s=60)
    codec = TokenCodec(settings)
    authenticator = Authenticator(
        settings, Database.from_settings(settings), codec, build_rate_limiter(None, "t")
    )
    # Issued 58 s ago with a 60 s lifetime (to the second): valid for one or two more seconds.
    token, _ = codec.issue("u1", ["predict"], now=datetime.now(UTC) - timedelta(seconds=58))
    first = await authenticator.authenticate(token, None)
    again = await authenticator.authenticate(token, None)
    assert first is again  # the second answer came from memory
    await asyncio.sleep(3.5)  # past exp by a whole second: jose compares whole seconds
    with pytest.raises(UnauthorizedError, match="expired"):
        await authenticator.authenticate(token, None)
