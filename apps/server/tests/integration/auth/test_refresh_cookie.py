"""The web console's refresh token as an HttpOnly cookie with a CSRF check; body clients unchanged.

A `browser` here is an HTTPS client with a cookie jar that sends the page's `Origin`, as a
browser on the console's origin does.
"""

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.users import PASSWORD, create_user, sign_in

REFRESH = "__Secure-tt_refresh"
CSRF = "__Host-tt_csrf"
COOKIE_MODE = {"X-Refresh-Token-Transport": "cookie"}


def _browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="https://testserver",
        headers={"Origin": "https://testserver"},
    )


@pytest.fixture
async def browser(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in browser (`client` runs the app's lifespan and creates the user)."""
    await create_user(client, "web@example.com")
    async with _browser(app) as http:
        signed_in = await http.post(
            "/api/v1/auth/token",
            data={"username": "web@example.com", "password": PASSWORD},
            headers=COOKIE_MODE,
        )
        assert signed_in.status_code == 200, signed_in.text
        yield http


def set_cookies(response: httpx.Response) -> dict[str, dict[str, str]]:
    """Each Set-Cookie of `response` by name: its value and attributes (lower-case keys)."""
    found: dict[str, dict[str, str]] = {}
    for header in response.headers.get_list("set-cookie"):
        for name, morsel in SimpleCookie(header).items():
            attributes = {key: str(value) for key, value in morsel.items() if value}
            found[name] = {"value": morsel.value, **attributes}
    return found


def csrf_of(http: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": http.cookies[CSRF]}


async def test_cookie_sign_in_keeps_the_refresh_token_out_of_reach_of_script(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_user(client, "jo@example.com")
    async with _browser(app) as http:
        response = await http.post(
            "/api/v1/auth/token",
            data={"username": "jo@example.com", "password": PASSWORD},
            headers=COOKIE_MODE,
        )
    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    assert response.json()["access_token"]
    cookies = set_cookies(response)
    refresh, csrf = cookies[REFRESH], cookies[CSRF]
    ttl = app.state.services.settings.refresh_token_ttl_s
    assert refresh["httponly"]
    assert refresh["secure"]
    assert (refresh["samesite"].lower(), refresh["path"]) == ("strict", "/api/v1/auth")
    assert ttl - 5 <= int(refresh["max-age"]) <= ttl
    # The CSRF cookie is readable by the page (that is its point), but only over HTTPS.
    assert "httponly" not in csrf
    assert (csrf["secure"], csrf["samesite"].lower(), csrf["path"]) == ("True", "strict", "/")
    assert csrf["max-age"] == refresh["max-age"]


async def test_body_clients_get_the_refresh_token_in_the_body_and_no_cookie(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "ka@example.com")
    response = await sign_in(client, "ka@example.com")
    assert response.json()["refresh_token"]
    assert response.headers.get_list("set-cookie") == []
    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": response.json()["refresh_token"]}
    )
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"]
    assert rotated.headers.get_list("set-cookie") == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "needs the X-CSRF-Token header"),
        ({"X-CSRF-Token": "forged.0000"}, "does not match the CSRF cookie"),
        ({"Origin": "https://evil.example.com"}, "from an origin"),
    ],
    ids=["no-header", "wrong-header", "foreign-origin"],
)
async def test_refresh_by_cookie_needs_the_csrf_header_and_this_origin(
    browser: httpx.AsyncClient, headers: dict[str, str], reason: str
) -> None:
    if "Origin" in headers:
        headers |= csrf_of(browser)
    refused = await browser.post("/api/v1/auth/refresh", headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:problem-type:csrf-check-failed"
    assert reason in refused.json()["detail"]
    # A forged request cannot sign the user out: the cookies stay, and they still work.
    assert refused.headers.get_list("set-cookie") == []
    assert (await browser.post("/api/v1/auth/refresh", headers=csrf_of(browser))).status_code == 200


async def test_a_csrf_token_of_another_session_does_not_verify(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    """Cookie tossing: a CSRF cookie and header pair from the attacker's own session."""
    async with _browser(app) as attacker:
        await attacker.post(
            "/api/v1/auth/token",
            data={"username": "web@example.com", "password": PASSWORD},
            headers=COOKIE_MODE,
        )
        tossed = attacker.cookies[CSRF]
    browser.cookies.set(CSRF, tossed, domain="testserver.local", path="/")
    refused = await browser.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": tossed})
    assert refused.status_code == 403
    assert "not issued for this session" in refused.json()["detail"]


async def test_rotation_sets_new_cookies_and_a_replayed_one_revokes_the_session(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    old_refresh, old_csrf = browser.cookies[REFRESH], browser.cookies[CSRF]
    rotated = await browser.post("/api/v1/auth/refresh", headers=csrf_of(browser))
    assert rotated.status_code == 200
    assert "refresh_token" not in rotated.json()
    cookies = set_cookies(rotated)
    assert cookies[REFRESH]["value"] != old_refresh
    assert cookies[CSRF]["value"] != old_csrf
    assert cookies[REFRESH]["httponly"]
    assert cookies[REFRESH]["path"] == "/api/v1/auth"
    me = await browser.get(
        "/api/v1/users/me",
        headers={"Authorization": f"Bearer {rotated.json()['access_token']}"},
    )
    assert me.json()["email"] == "web@example.com"

    # A copy of the old cookies (with their valid CSRF pair), used again: reuse detection.
    async with _browser(app) as thief:
        replay = await thief.post(
            "/api/v1/auth/refresh",
            headers={"Cookie": f"{REFRESH}={old_refresh}; {CSRF}={old_csrf}"}
            | {"X-CSRF-Token": old_csrf},
        )
    assert replay.status_code == 401
    assert replay.headers["www-authenticate"] == 'Bearer error="invalid_grant"'
    cleared = set_cookies(replay)
    assert cleared[REFRESH]["max-age"] == cleared[CSRF]["max-age"] == "0"
    # ...and the whole family died: the legitimate browser must sign in again.
    after = await browser.post("/api/v1/auth/refresh", headers=csrf_of(browser))
    assert after.status_code == 401
    assert set_cookies(after)[REFRESH]["max-age"] == "0"


async def test_logout_by_cookie_revokes_the_session_and_clears_both_cookies(
    browser: httpx.AsyncClient,
) -> None:
    refresh, csrf = browser.cookies[REFRESH], browser.cookies[CSRF]
    assert (await browser.post("/api/v1/auth/logout")).status_code == 403  # no CSRF header
    out = await browser.post("/api/v1/auth/logout", headers=csrf_of(browser))
    assert out.status_code == 204
    cleared = set_cookies(out)
    assert cleared[REFRESH]["max-age"] == cleared[CSRF]["max-age"] == "0"
    assert cleared[REFRESH]["path"] == "/api/v1/auth"
    assert REFRESH not in browser.cookies
    browser.cookies.set(REFRESH, refresh, domain="testserver.local", path="/api/v1/auth")
    browser.cookies.set(CSRF, csrf, domain="testserver.local", path="/")
    revoked = await browser.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 401


async def test_without_any_refresh_token_refresh_is_refused_and_logout_is_a_no_op(
    client: httpx.AsyncClient,
) -> None:
    # As before cookies, a request naming no token is malformed; a CSRF cookie left without
    # its refresh cookie is cleared, so the page stops trying to restore a session.
    refused = await client.post("/api/v1/auth/refresh", headers={"Cookie": f"{CSRF}=stale"})
    assert refused.status_code == 422
    assert "No refresh token" in refused.json()["detail"]
    assert set_cookies(refused)[CSRF]["max-age"] == "0"
    assert (await client.post("/api/v1/auth/logout")).status_code == 204


async def test_plain_http_development_drops_secure_and_the_name_prefixes(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    settings = test_database.settings.model_copy(update={"refresh_cookie_secure": False})
    app = build_app(settings, db_connection)
    async with client_for(app) as admin:
        await create_user(admin, "lo@example.com")
        signed_in = await admin.post(
            "/api/v1/auth/token",
            data={"username": "lo@example.com", "password": PASSWORD},
            headers=COOKIE_MODE | {"Authorization": ""},
        )
        cookies = set_cookies(signed_in)
        assert set(cookies) == {"tt_refresh", "tt_csrf"}
        assert "secure" not in cookies["tt_refresh"]
        assert cookies["tt_refresh"]["httponly"]
        rotated = await admin.post(
            "/api/v1/auth/refresh",
            headers={"X-CSRF-Token": cookies["tt_csrf"]["value"], "Origin": "http://testserver"},
        )
        assert rotated.status_code == 200, rotated.text


async def test_a_console_on_an_allowed_cors_origin_may_use_the_cookie(
    browser: httpx.AsyncClient,
) -> None:
    """A console served from another allowed origin (same site) passes preflight and the
    Origin check; the CSRF token still has to match."""
    origin = {"Origin": "http://localhost:5173"}
    preflight = await browser.options(
        "/api/v1/auth/refresh",
        headers=origin
        | {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-csrf-token",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert "x-csrf-token" in preflight.headers["access-control-allow-headers"].lower()
    rotated = await browser.post("/api/v1/auth/refresh", headers=origin | csrf_of(browser))
    assert rotated.status_code == 200, rotated.text
