"""Property-based contract test: every operation, schemathesis' default checks, a real server.

Cases are generated from the committed contract (`openapi.json`, which another test keeps
equal to the app's schema) and sent to a real API process: no server error and no response
that breaks the schema, for generated valid and invalid inputs alike.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from server.config import SERVER_DIR
from server.tests.support.databases import provision_database
from server.tests.support.live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    with (
        provision_database("sqlite", tmp) as database,
        live_server({"APP_DATABASE_URL": database.settings.database_url}, tmp) as running,
    ):
        yield running


schema = schemathesis.openapi.from_path(SERVER_DIR / "openapi.json")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_honours_its_contract(
    case: schemathesis.Case[Any], server: LiveServer
) -> None:
    case.call_and_validate(base_url=server.base_url)
