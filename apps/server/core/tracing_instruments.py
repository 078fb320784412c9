"""The maintained OpenTelemetry instrumentations, installed with this process's provider.

Called only when tracing is on (`core/tracing.py`): with it off, no library is patched.
FastAPI is instrumented per app, an engine per engine; Redis (sync and asyncio) and httpx
patch their libraries, once per process.
"""

import weakref

from fastapi import FastAPI
from opentelemetry import metrics
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

UNTRACED_URLS = r"/health.*,/metrics$"
"""Probes and scrapes: frequent, alike and of no interest in a trace (regexes, comma-separated,
searched in the URL)."""

_traced_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    """One SERVER span per request (not per ASGI message), probes and scrapes left out."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED_URLS,
        exclude_spans=["receive", "send"],
    )


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
        provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"), sync_engine, usage
    )


def instrument_clients(provider: TracerProvider) -> None:
    """Redis (sync and asyncio clients) and httpx, process-wide; a second call does nothing."""
    for instrumentor in (RedisInstrumentor(), HTTPXClientInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)


def uninstrument_clients() -> None:
    """Undo `instrument_clients` (tests that installed a provider for a while)."""
    for instrumentor in (RedisInstrumentor(), HTTPXClientInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
