"""Users: who am I, and user administration."""

import uuid

from fastapi import APIRouter, Response, status

from server.routes import API_V1
from server.routes.deps import (
    CurrentPrincipal,
    PageDep,
    PasswordsDep,
    ServicesDep,
    SessionDep,
    SettingsDep,
    UsersAdmin,
)
from server.schemas.problem import problem_responses
from server.schemas.users import UserCreate, UserOut, UserPage, UserUpdate
from server.services import user_admin, users

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


@router.patch(
    "/{user_id:uuid}",
    summary="Change a user; disabling or a new password revokes its credentials (users:admin)",
    responses=problem_responses(404, 409, 422),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    session: SessionDep,
    services: ServicesDep,
    principal: UsersAdmin,
) -> UserOut:
    return await user_admin.update_user(
        session,
        services.passwords,
        services.settings,
        services.revocations,
        principal=principal,
        user_id=str(user_id),
        is_active=body.is_active,
        full_name=body.full_name,
        scopes=body.scopes,
        password=body.password,
    )


@router.delete(
    "/{user_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user with its API keys and sessions (users:admin)",
    responses=problem_responses(404, 409),
)
async def delete_user(
    user_id: uuid.UUID, session: SessionDep, services: ServicesDep, principal: UsersAdmin
) -> Response:
    await user_admin.delete_user(session, services.revocations, principal, str(user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{user_id:uuid}/sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign a user out everywhere: every token of it stops working (users:admin)",
    responses=problem_responses(404),
)
async def sign_out_everywhere(
    user_id: uuid.UUID, session: SessionDep, services: ServicesDep, _: UsersAdmin
) -> Response:
    await user_admin.sign_out_everywhere(session, services.revocations, str(user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
