"""Users: who am I, and user administration."""

from fastapi import APIRouter, status

from server.routes import API_V1
from server.routes.deps import (
    CurrentPrincipal,
    PageDep,
    PasswordsDep,
    SessionDep,
    SettingsDep,
    UsersAdmin,
)
from server.schemas.problem import problem_responses
from server.schemas.users import UserCreate, UserOut, UserPage
from server.services import users

router = APIRouter(
    prefix=f"{API_V1}/users", tags=["users"], responses=problem_responses(401, 403, 429)
)


@router.get("/me", summary="The signed-in user", responses=problem_responses(404))
async def me(session: SessionDep, principal: CurrentPrincipal) -> UserOut:
    return await users.describe_user(session, principal.user_id)


@router.get("", summary="Every user (users:admin)")
async def list_users(session: SessionDep, _: UsersAdmin, page: PageDep) -> UserPage:
    return await users.users_page(session, limit=page.limit, offset=page.offset)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (users:admin)",
    responses=problem_responses(409, 422),
)
async def create_user(
    body: UserCreate,
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    _: UsersAdmin,
) -> UserOut:
    return await users.register_user(session, passwords, settings, body)
