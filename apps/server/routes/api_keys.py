"""API keys of the signed-in user: create (shown once), list, revoke."""

import uuid

from fastapi import APIRouter, Response, status

from server.routes import API_V1
from server.routes.deps import CurrentPrincipal, PageDep, SessionDep
from server.schemas.auth import ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from server.schemas.problem import problem_responses
from server.services import api_keys

router = APIRouter(
    prefix=f"{API_V1}/api-keys", tags=["api keys"], responses=problem_responses(401, 403, 429)
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key with some of your scopes; its secret is shown once",
    responses=problem_responses(422),
)
async def create_key(
    body: ApiKeyCreate, session: SessionDep, principal: CurrentPrincipal
) -> ApiKeyCreated:
    return await api_keys.issue_key(session, principal, body)


@router.get("", summary="Your API keys (every key for users:admin)")
async def list_keys(session: SessionDep, principal: CurrentPrincipal, page: PageDep) -> ApiKeyPage:
    return await api_keys.keys_page(session, principal, limit=page.limit, offset=page.offset)


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key",
    responses=problem_responses(404),
)
async def revoke_key(
    key_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    await api_keys.revoke_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
