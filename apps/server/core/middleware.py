"""Pure ASGI middleware: request context (id, logs, metrics, last-resort 500), body and
header limits.

Written as plain ASGI rather than `BaseHTTPMiddleware`, which costs a task and a memory
stream per request and breaks streaming responses.
"""

import logging
import time
from http import HTTPStatus

import structlog
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.core.errors import PROBLEM_CONTENT_TYPE, problem_body
from server.core.exemplars import observe
from server.core.http_protocol import HEADERS_TOO_LARGE, headers_too_large_detail
from server.core.metrics import (
    HTTP_IN_PROGRESS,
    HTTP_LATENCY,
    HTTP_REQUESTS,
    UNMATCHED_ROUTE,
    method_label,
)
from server.core.request_id import REQUEST_ID_HEADER, resolve_request_id
from server.core.tracing import REQUEST_ID_ATTRIBUTE, name_request_span, tag_current_span

log = structlog.get_logger("server.http")

# Probes and scrapes are logged at debug level so they do not drown the access log.
QUIET_PATHS = frozenset({"/health", "/readiness", "/metrics"})


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/jobs/{id}`), bounded for metric labels."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def _problem(scope: Scope, status: int, detail: str) -> JSONResponse:
    request_id = scope.get("state", {}).get("request_id")
    body = problem_body(status, detail, instance=scope.get("path", ""), request_id=request_id)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE)


class RequestContextMiddleware:
    """Bind a request id, log one access event, record metrics, and answer a clean 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = resolve_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        tag_current_span(REQUEST_ID_ATTRIBUTE, request_id)  # the request's SERVER span
        method = method_label(scope["method"])
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
                # Routed by now; the span ends with the response's last byte.
                name_request_span(scope["method"], route_template(scope))
            await send(message)

        start = time.perf_counter()
        in_progress = HTTP_IN_PROGRESS.labels(method)
        in_progress.inc()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("http.unhandled_error", method=scope["method"], path=scope["path"])
                if response_started:
                    raise  # too late for a clean answer; the server closes the connection
                await _problem(scope, 500, "An unexpected error occurred.")(
                    scope, receive, send_with_id
                )
            finally:
                in_progress.dec()
                elapsed = time.perf_counter() - start
                route = route_template(scope)
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                observe(HTTP_LATENCY, (method, route, str(status)), elapsed)  # + exemplar
                quiet = scope["path"] in QUIET_PATHS and status < 400
                log.log(
                    logging.DEBUG if quiet else logging.INFO,
                    "http.request",
                    method=scope["method"],
                    route=route,
                    path=scope["path"],
                    client=client[0] if (client := scope.get("client")) else None,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413: by Content-Length up front, else while reading."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        # Path prefixes with limits of their own (batch job uploads are larger).
        self.overrides = sorted((overrides or {}).items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.overrides:
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            status = 413 if declared.isdigit() else 400
            detail = (
                f"The request body exceeds the limit of {max_bytes} bytes."
                if status == 413
                else "The Content-Length header is not a number."
            )
            await _problem(scope, status, detail)(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Raised inside the route's body parsing, so the problem handler shapes it.
                    raise HTTPException(
                        413, f"The request body exceeds the limit of {max_bytes} bytes."
                    )
            return message

        await self.app(scope, limited_receive, send)


class HeaderLimitMiddleware:
    """431 for a request whose headers exceed `max_bytes` in all or `max_count` lines.

    The server's protocol (`core.http_protocol`) enforces the same limits while reading, so
    an oversized head is never buffered; this check covers any other ASGI server.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_count: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_count = max_count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            size += sum(len(name) + len(value) for name, value in headers) + 4 * len(headers)
            if len(headers) > self.max_count or size > self.max_bytes:
                detail = headers_too_large_detail(self.max_bytes, self.max_count)
                await _problem(scope, HEADERS_TOO_LARGE, detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)
