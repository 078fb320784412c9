"""OAuth2 password sign-in, refresh-token rotation and sign-out."""

from fastapi import APIRouter, Request, Response, status

from server.routes import API_V1
from server.routes.deps import ServicesDep, SessionServiceDep, SignInFormDep
from server.schemas.auth import RefreshRequest, TokenResponse
from server.schemas.problem import problem_responses
from server.services.login import sign_in
from server.services.sessions import TokenPair

router = APIRouter(prefix=f"{API_V1}/auth", tags=["auth"])


def _out(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        scope=" ".join(sorted(pair.scopes)),
    )


@router.post(
    "/token",
    summary="Sign in with e-mail and password (OAuth2 password flow)",
    responses=problem_responses(401, 422, 429, 503),
)
async def issue_token(
    form: SignInFormDep,
    request: Request,
    services: ServicesDep,
) -> TokenResponse:
    requested = frozenset(form.scopes) if form.scopes else None
    pair = await sign_in(
        services.sessions,
        services.rate_limiter,
        services.login_guard,
        email=form.username,
        password=form.password,
        client_ip=request.client.host if request.client else "unknown",
        requested_scopes=requested,
    )
    return _out(pair)


@router.post(
    "/refresh",
    summary="Exchange a refresh token for new tokens (the old one stops working)",
    responses=problem_responses(401, 422),
)
async def refresh(body: RefreshRequest, sessions: SessionServiceDep) -> TokenResponse:
    return _out(await sessions.rotate(body.refresh_token))


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out: revoke the refresh token's whole session",
    responses=problem_responses(422),
)
async def logout(body: RefreshRequest, sessions: SessionServiceDep) -> Response:
    await sessions.end(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
