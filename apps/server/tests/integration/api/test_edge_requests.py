"""Requests refused at the edge of the app: malformed Host headers (400) and headers past the
limits (431, also when another ASGI server than ours runs the app)."""

import httpx
import pytest

from server.core.security.hosts import parse_host
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.settings import SettingsFactory

MALFORMED_HOSTS = [
    "127.0.0.1:8100@evil.example.com",
    "127.0.0.1:evil.example.com",
    "api.example.com:443:80",
    "api.example.com:99999",
    "evil.example.com/path",
    "user@api.example.com",
    "api example.com",
    "[::1",
    "[not-ipv6]:80",
    "",
]


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
@pytest.mark.parametrize("allowed", ["127.0.0.1,api.example.com", "*"])
async def test_a_malformed_host_is_refused(
    make_settings: SettingsFactory, host: str, allowed: str
) -> None:
    app = create_app(make_settings(trusted_hosts=allowed))
    async with client_for(app, authenticated=False) as client:
        response = await client.get("/api/v1/meta", headers={"Host": host})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The Host header is malformed."


async def test_well_formed_hosts_on_the_list_are_served(make_settings: SettingsFactory) -> None:
    app = create_app(make_settings(trusted_hosts="127.0.0.1,api.example.com,::1"))
    async with client_for(app, authenticated=False) as client:
        statuses = [
            (await client.get("/api/v1/meta", headers={"Host": host})).status_code
            for host in ("127.0.0.1:8100", "API.example.com", "api.example.com.", "[::1]:8000")
        ]
        probe = await client.get("/health", headers={"Host": "127.0.0.1:8100@evil.example.com"})
    assert statuses == [200, 200, 200, 200]
    assert probe.status_code == 200  # probes are exempt, as kubelets address pods by IP


def test_parse_host() -> None:
    assert parse_host("Api.Example.com:8443") == "api.example.com"
    assert parse_host("[0:0::1]") == "::1"
    assert parse_host("ticket_triage-api-1:8000") == "ticket_triage-api-1"
    assert parse_host("a" * 64 + ".example.com") is None
    for host in MALFORMED_HOSTS:
        assert parse_host(host) is None


async def test_headers_past_the_limits_get_431_from_the_app_too(
    make_settings: SettingsFactory,
) -> None:
    app = create_app(make_settings(max_header_bytes=2048, max_headers=20))
    async with client_for(app, authenticated=False) as client:
        many = await client.get("/api/v1/meta", headers={f"X-H-{i}": "1" for i in range(25)})
        large = await client.get("/api/v1/meta", headers={"X-Large": "a" * 3000})
        fine = await client.get("/api/v1/meta", headers={"X-Large": "a" * 1000})
    for response in (many, large):
        assert response.status_code == 431
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert fine.status_code == 200


async def test_431_is_documented(plain_client: httpx.AsyncClient) -> None:
    schema = (await plain_client.get("/openapi.json")).json()
    responses = schema["paths"]["/api/v1/meta"]["get"]["responses"]
    assert "application/problem+json" in responses["431"]["content"]
