"""Users: who am I, and user administration."""

from fastapi import APIRouter, status

from server.database.auth_models import User
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
    body: UserCreate,
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    _: UsersAdmin,
) -> UserOut:
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
