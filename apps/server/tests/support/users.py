"""Real users for tests of sign-in, ownership and API keys, created through the admin API."""

from collections.abc import Iterable
from typing import Any

import httpx

from server.core.security.scopes import ALL_SCOPES

PASSWORD = "Correct-Horse-Battery-9"


async def create_user(
    client: httpx.AsyncClient, email: str, scopes: Iterable[str] = ALL_SCOPES - {"users:admin"}
) -> dict[str, Any]:
    """Create a user as the default (administrator) client; returns the user document."""
    response = await client.post(
        "/api/v1/users", json={"email": email, "password": PASSWORD, "scopes": sorted(scopes)}
    )
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, scope: str | None = None
) -> httpx.Response:
    form = {"username": email, "password": password, **({"scope": scope} if scope else {})}
    return await client.post("/api/v1/auth/token", data=form, headers={"Authorization": ""})


async def bearer_for(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await sign_in(client, email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
