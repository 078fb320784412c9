"""An app (and its client) over the `stack` fixture of each worker test module."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from server.config import Settings
from server.main import create_app
from server.tests.support.apps import client_for


@pytest.fixture
def app(stack: Settings) -> FastAPI:
    return create_app(stack)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http
