"""OAuth2 password sign-in, refresh-token rotation and sign-out.

Non-browser clients send and receive the refresh token in the JSON body. The web console
asks for it as an HttpOnly cookie instead (`routes/auth_cookies.py`): refresh and sign-out
then read the cookie when the body names no token, and need the CSRF header with it.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response, status

from server.core.errors import UnauthorizedError, UnprocessableError, problem_response
from server.core.security.csrf import CSRF_HEADER
from server.core.text import NO_NUL
from server.routes import API_V1
from server.routes.auth_cookies import TRANSPORT_HEADER, RefreshCookies
from server.routes.deps import ServicesDep, SessionServiceDep, SettingsDep, SignInFormDep
from server.schemas.auth import RefreshRequest, TokenResponse
from server.schemas.problem import problem_responses
from server.services.login import sign_in
from server.services.sessions import TokenPair

router = APIRouter(prefix=f"{API_V1}/auth", tags=["auth"])

Transport = Annotated[
    Literal["cookie"] | None,
    Header(
        alias=TRANSPORT_HEADER,
        description="`cookie`: set the refresh token as an HttpOnly, SameSite=Strict cookie "
        "(with a CSRF cookie) instead of returning it in the body. For browsers.",
    ),
]
CsrfHeader = Annotated[
    str | None,
    Header(
        alias=CSRF_HEADER,
        max_length=200,
        pattern=NO_NUL,
        description="With the refresh cookie (no body): the value of the CSRF cookie.",
    ),
]
_NO_REFRESH_TOKEN = (
    f"No refresh token: send it in the body, or the refresh cookie with the {CSRF_HEADER} header."
)


def _out(pair: TokenPair, *, in_body: bool = True) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token if in_body else None,
        scope=" ".join(sorted(pair.scopes)),
    )


@router.post(
    "/token",
    summary="Sign in with e-mail and password (OAuth2 password flow)",
    response_model_exclude_none=True,
    responses=problem_responses(401, 422, 429, 503),
)
async def issue_token(
    *,
    form: SignInFormDep,
    request: Request,
    response: Response,
    services: ServicesDep,
    settings: SettingsDep,
    transport: Transport = None,
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
    if transport == "cookie":
        RefreshCookies(settings).set(response, pair)
        return _out(pair, in_body=False)
    return _out(pair)


@router.post(
    "/refresh",
    summary="Exchange a refresh token (body, or cookie + CSRF header) for new tokens; the old "
    "one stops working",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 422),
)
async def refresh(
    *,
    request: Request,
    response: Response,
    sessions: SessionServiceDep,
    settings: SettingsDep,
    body: RefreshRequest | None = None,
    csrf: CsrfHeader = None,
) -> TokenResponse | Response:
    if body is not None:
        return _out(await sessions.rotate(body.refresh_token))
    cookies = RefreshCookies(settings)
    token = cookies.credential(request, csrf)
    try:
        if token is None:  # as before cookies: a request without a token is malformed
            raise UnprocessableError(_NO_REFRESH_TOKEN)
        pair = await sessions.rotate(token)
    except (UnauthorizedError, UnprocessableError) as refused:
        # The cookie is dead (unknown, expired, reused or revoked) or gone: the browser
        # forgets both, so a page does not keep trying a session that is over.
        answer = problem_response(
            request, refused.status, refused.detail, slug=refused.slug, headers=refused.headers
        )
        cookies.clear(answer)
        return answer
    cookies.set(response, pair)
    return _out(pair, in_body=False)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out: revoke the refresh token's whole session (body, or cookie + CSRF header)",
    responses=problem_responses(403, 422),
)
async def logout(
    *,
    request: Request,
    sessions: SessionServiceDep,
    settings: SettingsDep,
    body: RefreshRequest | None = None,
    csrf: CsrfHeader = None,
) -> Response:
    done = Response(status_code=status.HTTP_204_NO_CONTENT)
    if body is not None:
        await sessions.end(body.refresh_token)
        return done
    cookies = RefreshCookies(settings)
    token = cookies.credential(request, csrf)
    if token is not None:
        await sessions.end(token)
    cookies.clear(done)
    return done
