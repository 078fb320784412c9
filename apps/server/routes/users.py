"""Users: who am I, and user administration."""

import uuid

from fastapi import APIRouter, Request, Response, status

from server.core.security.passwords import Passwords
from server.database.auth_models import User
from server.routes import API_V1
from server.routes.deps import (
    CurrentPrincipal,
    PageDep,
    SessionDep,
    SessionServiceDep,
    SettingsDep,
    UsersAdmin,
)
from server.schemas.problem import problem_responses
from server.schemas.users import UserCreate, UserOut, UserPage, UserUpdate
from server.services import user_admin, users

router = APIRouter(
    prefix=f"{API_V1}/users", tags=["users"], responses=problem_responses(401, 403, 429)
)


def _out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        scopes=sorted(users.effective_scopes(user)),
        is_superuser=user.is_superuser,
        is_active=user.is_active,
        created_at=user.created_at,
    )


@router.get("/me", summary="The signed-in user", responses=problem_responses(404))
async def me(session: SessionDep, principal: CurrentPrincipal) -> UserOut:
    return _out(await users.get_user(session, principal.user_id))


@router.get("", summary="Every user (users:admin)")
async def list_users(session: SessionDep, _: UsersAdmin, page: PageDep) -> UserPage:
    rows, total = await users.list_users(session, limit=page.limit, offset=page.offset)
    return UserPage(items=[_out(user) for user in rows], total=total)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (users:admin)",
    responses=problem_responses(409, 422),
)
async def create_user(
    body: UserCreate, request: Request, session: SessionDep, settings: SettingsDep, _: UsersAdmin
) -> UserOut:
    passwords: Passwords = request.app.state.passwords
    user = await users.create_user(
        session,
        passwords,
        settings,
        email=body.email,
        password=body.password,
        scopes=body.scopes,
        full_name=body.full_name,
        is_superuser=body.is_superuser,
    )
    return _out(user)


@router.patch(
    "/{user_id}",
    summary="Change a user; disabling or a new password revokes its credentials (users:admin)",
    responses=problem_responses(404, 409, 422),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    session: SessionDep,
    sessions: SessionServiceDep,
    principal: UsersAdmin,
) -> UserOut:
    user = await user_admin.update_user(
        session,
        sessions.passwords,
        sessions.settings,
        sessions.revocations,
        principal=principal,
        user_id=str(user_id),
        is_active=body.is_active,
        full_name=body.full_name,
        scopes=body.scopes,
        password=body.password,
    )
    return _out(user)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a user with its API keys and sessions (users:admin)",
    responses=problem_responses(404, 409),
)
async def delete_user(
    user_id: uuid.UUID, session: SessionDep, sessions: SessionServiceDep, principal: UsersAdmin
) -> Response:
    await user_admin.delete_user(session, sessions.revocations, principal, str(user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{user_id}/sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign a user out everywhere: every token of it stops working (users:admin)",
    responses=problem_responses(404),
)
async def sign_out_everywhere(
    user_id: uuid.UUID, session: SessionDep, sessions: SessionServiceDep, _: UsersAdmin
) -> Response:
    await user_admin.sign_out_everywhere(session, sessions.revocations, str(user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
