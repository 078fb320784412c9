"""Every route of the OpenAPI schema, with every kind of credential, answers exactly.

A new route that forgets its `Security(...)` dependency shows up as unprotected and fails
`test_only_the_listed_operations_are_public`; one with the wrong scope fails the scope cases.
"""

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from server.config import Settings
from server.core.security.scopes import ALL_SCOPES
from server.main import create_app
from server.tests.integration.auth.credentials import BROKEN, with_scopes
from server.tests.support.apps import client_for
from server.tests.support.databases import provision_database

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/readiness"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/meta"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
}

PATH_VALUES = {"name": "ticket-triage", "version": "1", "alias": "champion", "article_id": "1"}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    scopes: frozenset[str]
    protected: bool

    @property
    def url(self) -> str:
        return re.sub(
            r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), str(uuid.uuid4())), self.template
        )

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def operations(app: FastAPI) -> list[Operation]:
    found = []
    for template, methods in app.openapi()["paths"].items():
        for method, spec in methods.items():
            requirements = spec.get("security", [])
            scopes = {
                s for requirement in requirements for group in requirement.values() for s in group
            }
            found.append(Operation(method.upper(), template, frozenset(scopes), bool(requirements)))
    return found


APP = create_app()
OPERATIONS = operations(APP)
PROTECTED = [op for op in OPERATIONS if op.protected]


@pytest.fixture(scope="module")
def matrix_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One migrated SQLite database for the whole matrix: authorization does not depend on
    the backend, and ~500 cases on both would only double the time."""
    with provision_database("sqlite", tmp_path_factory.mktemp("matrix")) as database:
        yield database.settings


@pytest.fixture
async def anonymous(matrix_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(matrix_settings)
    async with client_for(app, authenticated=False) as client:
        yield client
    await app.state.services.database.dispose()


def test_only_the_listed_operations_are_public() -> None:
    public = {(op.method, op.template) for op in OPERATIONS if not op.protected}
    assert public == PUBLIC


def test_every_protected_operation_accepts_a_bearer_token_or_an_api_key() -> None:
    for path, methods in APP.openapi()["paths"].items():
        for method, spec in methods.items():
            if spec.get("security"):
                schemes = {name for requirement in spec["security"] for name in requirement}
                assert schemes == {"OAuth2PasswordBearer", "APIKeyHeader"}, f"{method} {path}"


@pytest.mark.parametrize("kind", sorted(BROKEN))
@pytest.mark.parametrize("operation", PROTECTED, ids=str)
async def test_broken_credentials_get_401_everywhere(
    anonymous: httpx.AsyncClient, matrix_settings: Settings, operation: Operation, kind: str
) -> None:
    headers = BROKEN[kind](matrix_settings)
    response = await anonymous.request(operation.method, operation.url, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("operation", [op for op in PROTECTED if op.scopes], ids=str)
async def test_a_token_without_the_scope_gets_403(
    anonymous: httpx.AsyncClient, matrix_settings: Settings, operation: Operation
) -> None:
    headers = with_scopes(matrix_settings, ALL_SCOPES - operation.scopes)
    response = await anonymous.request(operation.method, operation.url, headers=headers)
    assert response.status_code == 403, response.text
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert all(scope in challenge for scope in operation.scopes)


@pytest.mark.parametrize("operation", PROTECTED, ids=str)
async def test_a_token_with_the_scope_gets_past_authorization(
    anonymous: httpx.AsyncClient, matrix_settings: Settings, operation: Operation
) -> None:
    headers = with_scopes(matrix_settings, operation.scopes)
    response = await anonymous.request(operation.method, operation.url, headers=headers)
    # Past the gate the answer depends on the (empty) body and the unknown ids: 2xx, 404,
    # 409, 415, 422 or 503 without a worker; never 401 or 403, never a 500.
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500 or response.status_code == 503, response.text


@pytest.mark.parametrize("operation", sorted(PUBLIC), ids=" ".join)
async def test_public_operations_need_no_credentials(
    anonymous: httpx.AsyncClient, operation: tuple[str, str]
) -> None:
    method, path = operation
    response = await anonymous.request(method, path)
    assert response.status_code not in (401, 403)
