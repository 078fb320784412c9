"""Security headers on every response, and a Host allowlist that spares the probes.

Pure ASGI, like the other middleware. The API answers JSON, so its Content-Security-Policy
allows nothing at all; the interactive docs (`/docs`, `/redoc`) load Swagger UI and ReDoc
from this service (core/docs.py), so their policy allows this origin and no other: a page
that still asked a CDN would be refused by the browser, not half-loaded.
"""

from collections.abc import Iterable

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.core.errors import PROBLEM_CONTENT_TYPE, problem_body
from server.core.security.hosts import parse_host

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
PROBE_PATHS = frozenset({"/health", "/readiness", "/metrics"})
NO_STORE_PREFIXES = ("/api/v1/auth/", "/api/v1/api-keys")


def docs_csp() -> str:
    # Swagger UI's page starts it with an inline script, and ReDoc runs a blob: worker.
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self'; worker-src 'self' blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'"
    )


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int | None) -> None:
        self.app = app
        self.common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        if hsts_max_age_s:
            self.common["Strict-Transport-Security"] = (
                f"max-age={hsts_max_age_s}; includeSubDomains"
            )
        self.api_headers = _encode({**self.common, "Content-Security-Policy": API_CSP})
        self.docs_headers = _encode({**self.common, "Content-Security-Policy": docs_csp()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = self.docs_headers if path in DOCS_PATHS else self.api_headers
        if path.startswith(NO_STORE_PREFIXES):  # tokens and key secrets: never in a cache
            extra = [*extra, (b"cache-control", b"no-store")]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw header pairs, not MutableHeaders: this runs on every response, and the
                # app sets none of these itself except, rarely, Cache-Control.
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(pair for pair in extra if pair[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """`host` (from `parse_host`: no port, lower case) against `example.com`,
    `*.example.com` or `*` patterns."""
    for pattern in patterns:
        if pattern in ("*", host):
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class TrustedHostMiddleware:
    """400 for a Host header outside the allowlist (DNS rebinding, poisoned links).

    Probes and scrapes are exempt: the kubelet and Prometheus address pods by IP.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed = allowed_hosts
        self.allow_all = "*" in allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        # The raw pairs, not `Headers`: this runs on every request (names are lower case).
        header = next((value for name, value in scope["headers"] if name == b"host"), None)
        # A malformed Host is refused even where any host is allowed; a missing one (HTTP/1.0)
        # only where any host is.
        host = parse_host(header.decode("latin-1")) if header is not None else None
        if header is not None and host is None:
            detail = "The Host header is malformed."
        elif self.allow_all or (host is not None and host_allowed(host, self.allowed)):
            await self.app(scope, receive, send)
            return
        else:
            detail = "The Host header is not one this service answers to."
        body = problem_body(
            400,
            detail,
            instance=scope["path"],
            request_id=scope.get("state", {}).get("request_id"),
        )
        response = JSONResponse(body, status_code=400, media_type=PROBLEM_CONTENT_TYPE)
        await response(scope, receive, send)
