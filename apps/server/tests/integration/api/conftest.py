"""Fixtures of the drafts' API tests: an app whose provider is the fake one."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.drafting import with_provider
from server.tests.support.fake_llm import FakeOpenAI


@pytest.fixture
def drafting_app(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, fake_openai: FakeOpenAI
) -> FastAPI:
    """The app on the parametrized database, its provider the fake one."""
    return build_app(with_provider(test_database.settings, fake_openai), db_connection)


@pytest.fixture
async def drafting(drafting_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An administrator's client of `drafting_app`."""
    async with client_for(drafting_app) as client:
        yield client
