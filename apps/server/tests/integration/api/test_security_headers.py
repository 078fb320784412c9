"""Security headers on every response, HSTS in production only, the Host allowlist."""

import httpx
import pytest

from server.config import Environment
from server.core.security.headers import API_CSP, host_allowed
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.settings import SettingsFactory


@pytest.mark.parametrize("path", ["/health", "/api/v1/meta", "/api/v1/nowhere", "/openapi.json"])
async def test_every_response_carries_the_security_headers(
    plain_client: httpx.AsyncClient, path: str
) -> None:
    response = await plain_client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == API_CSP
    assert "strict-transport-security" not in response.headers


async def test_the_docs_policy_lets_swagger_ui_load(plain_client: httpx.AsyncClient) -> None:
    page = await plain_client.get("/docs")
    policy = page.headers["content-security-policy"]
    script_sources = next(
        part for part in policy.split(";") if part.strip().startswith("script-src")
    )
    # Every script the page loads comes from an origin the policy allows.
    for origin in {
        src.split("/")[2] for src in page.text.split('src="')[1:] if src.startswith("https://")
    }:
        assert origin in script_sources
    assert "frame-ancestors 'none'" in policy


async def test_production_sends_hsts(make_settings: SettingsFactory) -> None:
    settings = make_settings().model_copy(update={"env": Environment.production})
    async with client_for(create_app(settings), authenticated=False) as client:
        response = await client.get("/health")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_an_unknown_host_is_refused_but_probes_are_not(
    make_settings: SettingsFactory,
) -> None:
    app = create_app(make_settings(trusted_hosts="api.example.com,*.internal.example.com"))
    async with client_for(app, authenticated=False) as client:
        evil = await client.get("/api/v1/meta", headers={"Host": "evil.example.net"})
        good = await client.get("/api/v1/meta", headers={"Host": "api.example.com:443"})
        sub = await client.get("/api/v1/meta", headers={"Host": "a.internal.example.com"})
        probe = await client.get("/health", headers={"Host": "10.0.0.7:8000"})
    assert evil.status_code == 400
    assert evil.headers["content-type"] == "application/problem+json"
    assert (good.status_code, sub.status_code, probe.status_code) == (200, 200, 200)


def test_host_patterns() -> None:
    assert host_allowed("a.b.example.com", ["*.example.com"])
    assert not host_allowed("example.com.evil.net", ["*.example.com", "example.com"])
    assert not host_allowed("badexample.com", ["*.example.com"])


async def test_cors_allows_the_configured_origin_with_credentials(
    plain_client: httpx.AsyncClient,
) -> None:
    preflight = await plain_client.options(
        "/api/v1/predictions",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-api-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    refused = await plain_client.options(
        "/api/v1/predictions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in refused.headers
