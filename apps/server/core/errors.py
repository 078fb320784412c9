"""One error shape for the whole API: RFC 9457 problem details.

Services raise `AppError` subclasses (no HTTP types leak into them); `register_error_handlers`
maps those, Starlette's `HTTPException`, request validation errors and a busy database
(`database_busy.py`: 503 with Retry-After, on SQLite and PostgreSQL alike) to
`application/problem+json`. Unexpected exceptions are turned into a 500 problem by the
request middleware, which logs the traceback and never returns it.
"""

import math
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.core.database_busy import RETRY_AFTER_S, busy_reason

log = structlog.get_logger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:problem-type:"


class AppError(Exception):
    """A failure a client can cause or must be told about; carries its HTTP meaning."""

    status: int = HTTPStatus.INTERNAL_SERVER_ERROR
    slug: str = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class NotFoundError(AppError):
    status = HTTPStatus.NOT_FOUND
    slug = "not-found"


class ConflictError(AppError):
    status = HTTPStatus.CONFLICT
    slug = "conflict"


class UnprocessableError(AppError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    slug = "validation-error"


class UnauthorizedError(AppError):
    """No credentials, or credentials that cannot be trusted (answers `WWW-Authenticate`)."""

    status = HTTPStatus.UNAUTHORIZED
    slug = "unauthorized"

    def __init__(self, detail: str, *, error: str | None = "invalid_token") -> None:
        challenge = "Bearer" if error is None else f'Bearer error="{error}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class ForbiddenError(AppError):
    """Authenticated, but the credentials lack a scope the operation needs."""

    status = HTTPStatus.FORBIDDEN
    slug = "insufficient-scope"

    def __init__(self, detail: str, *, scopes: str) -> None:
        super().__init__(
            detail,
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scopes}"'},
        )


class TooManyRequestsError(AppError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(
            detail, headers={"Retry-After": str(seconds)}, extra={"retry_after": seconds}
        )


class ServiceUnavailableError(AppError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    slug = "service-unavailable"


class GatewayTimeoutError(AppError):
    status = HTTPStatus.GATEWAY_TIMEOUT
    slug = "timeout"


def problem_body(
    status: int,
    detail: str,
    *,
    instance: str,
    request_id: str | None,
    slug: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the RFC 9457 document; `type` is `about:blank` unless a specific slug is given."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{slug}" if slug else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if extra:
        body.update(extra)
    return body


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(
        status,
        detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        slug=slug,
        extra=extra,
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _message(err: Mapping[str, Any]) -> str:
    value = err.get("input")
    if err.get("type") == "string_pattern_mismatch" and isinstance(value, str) and "\x00" in value:
        # The NUL-refusing patterns of `core.text` are unreadable as a message.
        return "must not contain a NUL character (U+0000)"
    return str(err.get("msg", ""))


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """Summarize pydantic errors as one readable sentence plus a list naming each field."""
    items = [
        {"loc": list(err.get("loc", ())), "msg": _message(err), "type": err.get("type")}
        for err in errors
    ]
    summary = "; ".join(f"{_location(item['loc'])}: {item['msg']}" for item in items)
    return summary or "the request is invalid", items


async def _handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return problem_response(
        request, exc.status, exc.detail, slug=exc.slug, headers=exc.headers, extra=exc.extra
    )


_UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


def _path_pattern(template: str, operations: dict[str, Any]) -> re.Pattern[str]:
    """A documented path as a pattern; a UUID or integer parameter matches only a UUID or
    digits, as its route's `:uuid` or `:int` convertor does (so `/users/me` is not taken for
    `/users/{user_id}`, nor `/articles/search` for `/articles/{article_id}`)."""
    shapes: dict[str, str] = {}
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter.get("in") != "path":
                continue
            if schema.get("format") == "uuid":
                shapes[parameter["name"]] = _UUID
            elif schema.get("type") == "integer":
                shapes[parameter["name"]] = "[0-9]+"
    return re.compile(
        "^" + re.sub(r"\{([^/}]+)\}", lambda m: shapes.get(m[1], "[^/]+"), template) + "$"
    )


def _allowed_methods(app: FastAPI, path: str) -> str | None:
    """Every method documented for `path`, across routes (Starlette names only the first's)."""
    table = getattr(app.state, "allowed_methods_table", None)
    if table is None:
        table = [
            (_path_pattern(template, operations), operations)
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.allowed_methods_table = table
    allowed = {m.upper() for regex, methods in table if regex.match(path) for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed)) or None


async def _handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = _allowed_methods(request.app, request.url.path)
        if allowed:
            headers["Allow"] = allowed
    return problem_response(request, exc.status_code, detail, headers=headers)


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    summary, items = describe_validation_errors(exc.errors())
    return problem_response(
        request,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        summary,
        slug="validation-error",
        extra={"errors": items},
    )


async def _handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    reason = busy_reason(exc)
    if reason is None:
        raise exc  # a fault, not a busy database: the request middleware answers 500
    log.warning("database.busy", reason=reason, error=type(exc).__name__)
    return problem_response(
        request,
        HTTPStatus.SERVICE_UNAVAILABLE,
        f"The database is busy ({reason}); retry shortly.",
        slug="database-busy",
        headers={"Retry-After": str(RETRY_AFTER_S)},
        extra={"retry_after": RETRY_AFTER_S},
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    app.add_exception_handler(PoolTimeoutError, _handle_database_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
