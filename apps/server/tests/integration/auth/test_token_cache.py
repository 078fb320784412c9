"""Verified access tokens are remembered, but never past their expiry."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.errors import UnauthorizedError
from server.core.security.tokens import TokenCodec
from server.services.authentication import Authenticator
from server.tests.support.apps import build_app
from server.tests.support.auth import ADMIN_ID
from server.tests.support.databases import ProvisionedDatabase


async def test_a_remembered_token_still_expires(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    settings = test_database.settings.model_copy(
        update={"jwt_leeway_s": 0, "access_token_ttl_s": 60}
    )
    app = build_app(settings, db_connection)
    authenticator: Authenticator = app.state.services.authenticator
    codec = TokenCodec(settings)
    # Issued 58 s ago with a 60 s lifetime (to the second): valid for one or two more seconds.
    token, _ = codec.issue(ADMIN_ID, ["predict"], now=datetime.now(UTC) - timedelta(seconds=58))
    first = await authenticator.authenticate(token, None, "127.0.0.1")
    again = await authenticator.authenticate(token, None, "127.0.0.1")
    assert first is again  # the second answer came from memory
    await asyncio.sleep(3.5)  # past exp by a whole second: jose compares whole seconds
    with pytest.raises(UnauthorizedError, match="expired"):
        await authenticator.authenticate(token, None, "127.0.0.1")
