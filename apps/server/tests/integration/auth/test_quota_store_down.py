"""The per-caller API quota when Redis cannot be reached (a closed port, not a mock):
`APP_RATE_LIMIT_STORE_DOWN` chooses between refusing (production's default) and letting
requests through."""

import pytest

from server.config import Environment, Settings
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.live_server import free_port


def unreachable(settings: Settings, **update: object) -> Settings:
    # free_port() closes its socket: nothing listens there.
    url = f"redis://127.0.0.1:{free_port()}/0"
    return settings.model_copy(update={"redis_url": url, "rate_limit_requests": 1, **update})


async def test_refuse_answers_503_with_retry_after(test_database: ProvisionedDatabase) -> None:
    settings = unreachable(test_database.settings, rate_limit_store_down="refuse")
    async with client_for(create_app(settings)) as client:
        responses = [await client.get("/api/v1/models") for _ in range(2)]
    for response in responses:
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert "rate limit store" in response.json()["detail"]


async def test_allow_lets_requests_through(test_database: ProvisionedDatabase) -> None:
    settings = unreachable(test_database.settings, rate_limit_store_down="allow")
    async with client_for(create_app(settings)) as client:
        statuses = [(await client.get("/api/v1/models")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]  # over the limit of 1: nothing counted


@pytest.mark.parametrize(
    ("env", "fails_open"),
    [(Environment.production, False), (Environment.development, True), (Environment.test, True)],
)
def test_unset_it_refuses_in_production_only(
    test_database: ProvisionedDatabase, env: Environment, fails_open: bool
) -> None:
    settings = unreachable(test_database.settings, env=env)
    assert settings.rate_limit_store_down is None
    assert create_app(settings).state.services.authenticator.quota_fails_open is fails_open
