"""Sign-in, refresh-token rotation and reuse detection, sign-out, the first superuser."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update

from server.config import Settings
from server.database.auth_models import User
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.databases import provision_database
from server.tests.support.users import PASSWORD, bearer_for, create_user, sign_in


async def test_sign_in_returns_an_oauth2_token_response(client: httpx.AsyncClient) -> None:
    await create_user(client, "ana@example.com", scopes=["predict", "jobs"])
    response = await sign_in(client, "Ana@Example.com ")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "jobs predict"
    assert response.headers["cache-control"] == "no-store"
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert (me.json()["email"], me.json()["scopes"]) == ("ana@example.com", ["jobs", "predict"])


async def test_a_token_carries_only_requested_scopes_the_user_holds(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "bo@example.com", scopes=["predict"])
    response = await sign_in(client, "bo@example.com", scope="predict models:write")
    assert response.json()["scope"] == "predict"


@pytest.mark.parametrize(
    ("email", "password"),
    [("cy@example.com", "Wrong-Password-123"), ("nobody@example.com", PASSWORD)],
)
async def test_a_wrong_password_and_an_unknown_user_answer_alike(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    await create_user(client, "cy@example.com")
    response = await sign_in(client, email, password)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Incorrect e-mail or password."
    assert response.headers["www-authenticate"] == "Bearer"


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    client: httpx.AsyncClient,
) -> None:
    await create_user(client, "di@example.com")
    first = (await sign_in(client, "di@example.com")).json()["refresh_token"]
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first

    # The first token, used again: someone copied it. Both links of the family die.
    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    assert replay.headers["www-authenticate"] == 'Bearer error="invalid_grant"'
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401


async def test_logout_revokes_the_session(client: httpx.AsyncClient) -> None:
    await create_user(client, "ed@example.com")
    refresh = (await sign_in(client, "ed@example.com")).json()["refresh_token"]
    assert (
        await client.post("/api/v1/auth/logout", json={"refresh_token": refresh})
    ).status_code == 204
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert response.status_code == 401


async def test_an_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert response.status_code == 401


async def test_a_deactivated_user_cannot_refresh(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client, "fi@example.com")
    refresh = (await sign_in(client, "fi@example.com")).json()["refresh_token"]
    async with app.state.services.database.session() as session:
        await session.execute(
            update(User).where(User.email == user["email"]).values(is_active=False)
        )
        await session.commit()
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    ).status_code == 401
    assert (await sign_in(client, "fi@example.com")).status_code == 401


async def test_users_are_created_only_under_the_password_policy(client: httpx.AsyncClient) -> None:
    weak = await client.post(
        "/api/v1/users", json={"email": "gi@example.com", "password": "short", "scopes": []}
    )
    assert weak.status_code == 422
    assert "at least 12 characters" in weak.json()["detail"]
    await create_user(client, "gi@example.com")
    again = await client.post(
        "/api/v1/users", json={"email": "GI@example.com", "password": PASSWORD, "scopes": []}
    )
    assert again.status_code == 409


async def test_markup_in_a_name_is_stored_inert(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/users",
        json={
            "email": "hu@example.com",
            "password": PASSWORD,
            "full_name": "<script>alert(1)</script>Hu <b>Li</b>",
            "scopes": [],
        },
    )
    assert response.status_code == 201
    assert response.json()["full_name"] == "Hu Li"


@pytest.fixture
def superuser_settings(tmp_path: Path) -> Settings:
    """A fresh SQLite database whose settings name a first superuser (migrated synchronously:
    Alembic's async environment runs its own event loop)."""
    with provision_database("sqlite", tmp_path) as database:
        return database.settings.model_copy(
            update={
                "first_superuser_email": "root@example.com",
                "first_superuser_password": SecretStr(PASSWORD),
            }
        )


async def test_the_first_superuser_comes_from_settings(superuser_settings: Settings) -> None:
    async with client_for(create_app(superuser_settings), authenticated=False) as client:
        headers = await bearer_for(client, "root@example.com")
        me = (await client.get("/api/v1/users/me", headers=headers)).json()
    async with client_for(create_app(superuser_settings), authenticated=False) as client:
        listed = (await client.get("/api/v1/users", headers=headers)).json()
    assert me["is_superuser"] is True
    assert "users:admin" in me["scopes"]
    # A second start found the user and left it alone (the other is the tests' administrator).
    assert [user["email"] for user in listed["items"]].count("root@example.com") == 1
