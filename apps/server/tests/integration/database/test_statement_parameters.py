"""Bound values (ticket texts, e-mail addresses) never appear in database errors or logs.

A failing statement's exception, which a 500 logs with its traceback, names the SQL but
not its parameters; neither does the echo log of `APP_DATABASE_ECHO`.
"""

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.session import create_engine
from server.tests.support.databases import ProvisionedDatabase

MARKER = "ticket text of a customer 8d1f2c"


async def test_a_failing_statement_does_not_show_its_parameters(db_session: AsyncSession) -> None:
    with pytest.raises(DBAPIError) as caught:
        await db_session.execute(text("SELECT :value FROM no_such_table"), {"value": MARKER})
    message = str(caught.value)
    assert "no_such_table" in message
    assert MARKER not in message
    assert "hidden" in message


async def test_the_echo_log_does_not_show_parameters(
    test_database: ProvisionedDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(test_database.settings.model_copy(update={"database_echo": True}))
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            async with engine.connect() as connection:
                value = await connection.scalar(text("SELECT :value"), {"value": MARKER})
    finally:
        await engine.dispose()
    assert value == MARKER
    assert "SELECT" in caplog.text
    assert MARKER not in caplog.text
