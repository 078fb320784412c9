"""API keys of the signed-in user: create (shown once), list, revoke."""

import uuid

from fastapi import APIRouter, Response, status

from server.database.auth_models import ApiKey
from server.routes import API_V1
from server.routes.deps import CurrentPrincipal, PageDep, SessionDep, SessionServiceDep
from server.schemas.auth import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, ApiKeyPage
from server.schemas.problem import problem_responses
from server.services import api_keys

router = APIRouter(
    prefix=f"{API_V1}/api-keys", tags=["api keys"], responses=problem_responses(401, 403, 429)
)


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(key, from_attributes=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key with some of your scopes; its secret is shown once",
    responses=problem_responses(422),
)
async def create_key(
    body: ApiKeyCreate, session: SessionDep, principal: CurrentPrincipal
) -> ApiKeyCreated:
    key, secret = await api_keys.create_key(
        session,
        principal,
        name=body.name,
        scopes=frozenset(body.scopes),
        expires_at=body.expires_at,
    )
    return ApiKeyCreated(**_out(key).model_dump(), key=secret)


@router.get("", summary="Your API keys (every key for users:admin)")
async def list_keys(session: SessionDep, principal: CurrentPrincipal, page: PageDep) -> ApiKeyPage:
    rows, total = await api_keys.list_keys(session, principal, limit=page.limit, offset=page.offset)
    return ApiKeyPage(items=[_out(key) for key in rows], total=total)


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key",
    responses=problem_responses(404),
)
async def revoke_key(
    key_id: uuid.UUID, session: SessionDep, sessions: SessionServiceDep, principal: CurrentPrincipal
) -> Response:
    await api_keys.revoke_key(session, sessions.revocations, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
