"""The maintained OpenTelemetry instrumentations, installed with this process's provider.

Called only when tracing is on (`core/tracing.py`): with it off, no library is patched.
The app gets the ASGI instrumentation, an engine SQLAlchemy's; Redis (sync and asyncio) and
httpx patch their libraries, once per process.

Two choices keep tracing at the default ratio cheap, measured with `make bench --tracing`:

- Requests are picked at the sampling ratio before the ASGI instrumentation sees them
  (`SampledRequestsOnly`): nine in ten never meet it.
- The ASGI middleware names a request span by its method only, and `RequestContextMiddleware`
  renames it `<method> <route>` once routing has set the route. FastAPI's instrumentor names
  the span up front by matching the request against every route of the app, once more than
  the router does, for every request, sampled or not.
- The client instrumentations (Redis, SQLAlchemy, httpx) get `ChildSpansOnly`: a call made
  outside a recorded span gets a non-recording span at once, without the sampler and id
  generation that the SDK runs for every span it is asked for. Nine requests in ten are not
  sampled; their Redis and database calls were most of tracing's cost.
"""

import random
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, Span, Tracer
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from server.core.tracing import picked, root_ratio

UNTRACED_URLS = r"/health.*,/metrics$"
"""Probes and scrapes: frequent, alike and of no interest in a trace (regexes, comma-separated,
searched in the URL)."""

_traced_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    """One SERVER span per request (not per ASGI message) that a trace keeps, probes and
    scrapes left out; the outermost middleware, so call it after every other
    `add_middleware`."""
    app.add_middleware(SampledRequestsOnly, provider=provider, ratio=root_ratio(provider))


class SampledRequestsOnly:
    """The ASGI instrumentation for the requests a trace keeps, nothing for the others.

    A request that carries a `traceparent` goes through the instrumentation, which follows
    the caller's decision. Any other is picked at the sampling ratio here, before any span
    work: a picked one is traced (its root is recorded, see `tracing.picked`), the rest go
    straight to the app, without the header extraction, attribute collection and span
    bookkeeping the instrumentation does for every request, sampled or not.
    """

    def __init__(self, app: ASGIApp, provider: TracerProvider, ratio: float) -> None:
        self.app = app
        self.ratio = ratio
        self.traced = OpenTelemetryMiddleware(
            app,
            excluded_urls=UNTRACED_URLS,
            default_span_details=_method_only,
            tracer_provider=provider,
            meter_provider=NoOpMeterProvider(),  # the service's own metrics measure requests
            exclude_spans=["receive", "send"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _propagated(scope):
            await self.traced(scope, receive, send)
            return
        # Not a security decision: which requests are traced.
        if random.random() >= self.ratio:  # noqa: S311  # nosec B311
            await self.app(scope, receive, send)
            return
        token = otel_context.attach(picked())
        try:
            await self.traced(scope, receive, send)
        finally:
            otel_context.detach(token)


def _propagated(scope: Scope) -> bool:
    return any(name == b"traceparent" for name, _ in scope.get("headers", ()))


def _method_only(scope: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The span's first name: the route is known only after routing (see the module doc)."""
    return str(scope.get("method", "HTTP")), {}


class ChildSpansOnly(trace.TracerProvider):
    """Tracers that make spans only inside a recorded span: a client call is a detail of the
    request or batch it serves, and with none recorded it is not worth a span."""

    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        return _ChildTracer(self._provider.get_tracer(*args, **kwargs))


class _ChildTracer(Tracer):
    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def start_span(
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> Span:
        parent = trace.get_current_span(context)
        if not parent.is_recording():
            return NonRecordingSpan(parent.get_span_context())
        return self._tracer.start_span(name, context, *args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]  # a plain context manager
        self,
        name: str,
        context: Context | None = None,
        *args: Any,
        end_on_exit: bool = True,
        **kwargs: Any,
    ) -> Iterator[Span]:
        span = self.start_span(name, context, *args, **kwargs)
        with trace.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=kwargs.get("record_exception", True),
            set_status_on_exception=kwargs.get("set_status_on_exception", True),
        ) as current:
            yield current


def instrument_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    """A CLIENT span per statement of `engine` (once per engine, whoever asks)."""
    sync_engine = engine.sync_engine
    if sync_engine in _traced_engines:
        return
    _traced_engines.add(sync_engine)
    # The instrumentor's own entry point patches engine creation process-wide and only the
    # first time it is called; one engine at a time fits a process that builds several.
    usage = metrics.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(  # type: ignore[no-untyped-call]
        ChildSpansOnly(provider).get_tracer("opentelemetry.instrumentation.sqlalchemy"),
        sync_engine,
        usage,
    )


def instrument_clients(provider: TracerProvider) -> None:
    """Redis (sync and asyncio clients) and httpx, process-wide; a second call does nothing."""
    for instrumentor in (RedisInstrumentor(), HTTPXClientInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=ChildSpansOnly(provider))


def uninstrument_clients() -> None:
    """Undo `instrument_clients` (tests that installed a provider for a while)."""
    for instrumentor in (RedisInstrumentor(), HTTPXClientInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
