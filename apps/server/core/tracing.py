"""OpenTelemetry tracing: one SDK provider per process, or none at all.

With `APP_TRACING_OTLP_ENDPOINT` unset no SDK is installed: `tracer()` hands out the API's
no-op tracer, instrumentations are not installed, and the code's own spans are skipped
where they sit on a hot path (`enabled()`), so tracing off costs nothing measurable.

With it set, each process (the API, each prefork pool process of a worker, beat) builds one
`TracerProvider` named after its role, samples new traces at `tracing_sample_ratio`
(parent-based: a span follows its parent's decision), and exports them in batches over
OTLP/HTTP; the batch is flushed when the process stops.

The provider this code uses is held here, not only in OpenTelemetry's global (which can be
set once per process): tests `install()` a provider with an in-memory exporter, and every
instrumentation is handed the provider explicitly.
"""

from collections.abc import Awaitable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Tracer
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from server.config import Settings

if TYPE_CHECKING:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

SERVICE_API = "triage-api"
SERVICE_WORKER = "triage-worker"
SERVICE_BEAT = "triage-beat"
TRACES_PATH = "/v1/traces"
EXPORT_TIMEOUT_S = 5.0
FLUSH_TIMEOUT_MS = 5000
"""Longest a stopping API waits for its last spans to reach an unreachable collector."""
REQUEST_ID_ATTRIBUTE = "request.id"
"""The span attribute of the request id (also in every log line and the X-Request-ID)."""

T = TypeVar("T")
_NOOP_TRACER = trace.NoOpTracer()
_provider: TracerProvider | None = None


class LinkedOrRatio(Sampler):
    """The sampler of root spans: a span linked to a recorded span is recorded (a micro-batch
    carrying a sampled request, so the request's trace can be followed into it), a root span
    of kind CLIENT is dropped (a background poll of Redis or the database, part of no
    request), and any other root is recorded at `ratio`."""

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)
        self.rate = ratio

    def should_sample(  # noqa: PLR0917 - the SDK's Sampler signature
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if links and any(link.context.trace_flags.sampled for link in links):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP, None, trace_state)
        if otel_context.get_value(_PICKED, parent_context):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"LinkedOrRatio{{{self._ratio.rate}}}"


_PICKED = otel_context.create_key("triage.request-picked")


def picked() -> Context:
    """The current context, marked as a request the ratio picked: its root span is recorded
    (the pick was made before the span, see `tracing_instruments.SampledRequestsOnly`)."""
    return otel_context.set_value(_PICKED, True)


def root_ratio(provider: TracerProvider) -> float:
    """The share of new traces `provider` records (1.0 for a sampler not built here)."""
    root = getattr(provider.sampler, "_root", None)
    return root.rate if isinstance(root, LinkedOrRatio) else 1.0


def sampler_for(ratio: float) -> Sampler:
    """Parent-based: children follow their parent; roots go to `LinkedOrRatio`."""
    return ParentBased(root=LinkedOrRatio(ratio))


def build_provider(settings: Settings, service: str, exporter: SpanExporter) -> TracerProvider:
    """A provider for `service` exporting through `exporter` in batches (not installed)."""
    resource = Resource.create(
        {"service.name": service, "deployment.environment": settings.env.value}
    )
    provider = TracerProvider(resource=resource, sampler=sampler_for(settings.tracing_sample_ratio))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def otlp_exporter(endpoint: str) -> "OTLPSpanExporter":
    """An OTLP/HTTP exporter to the collector at base URL `endpoint`."""
    # Imported when tracing is on only: it brings requests and protobuf (35 ms per process).
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    # Seconds per export, retries included: a collector that is down never holds a process.
    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + TRACES_PATH, timeout=EXPORT_TIMEOUT_S)


def install(provider: TracerProvider | None) -> None:
    """Make `provider` the one this process's spans go to; None turns tracing off.
    `setup_tracing` calls it; tests call it with an in-memory exporter's provider."""
    global _provider  # noqa: PLW0603 - one provider per process, by design
    _provider = provider


def active() -> TracerProvider | None:
    """The installed provider, or None when tracing is off."""
    return _provider


def enabled() -> bool:
    """Whether spans are recorded in this process at all (a cheap guard for hot paths)."""
    return _provider is not None


def setup_tracing(settings: Settings, service: str) -> TracerProvider | None:
    """This process's provider: the one already installed (by an earlier call or a test), a
    new one when an endpoint is configured, else None (tracing off, nothing installed)."""
    if _provider is not None:
        return _provider
    if not settings.tracing_otlp_endpoint:
        return None
    provider = build_provider(settings, service, otlp_exporter(settings.tracing_otlp_endpoint))
    install(provider)
    # For code that asks OpenTelemetry's global API rather than `tracer()`.
    trace.set_tracer_provider(provider)
    return provider


def shutdown_tracing() -> None:
    """Export what is buffered and stop (a process that is leaving)."""
    provider = _provider
    if provider is not None:
        provider.shutdown()


def flush_tracing() -> None:
    """Export what is buffered now (an API app stopping; the provider stays for the process)."""
    provider = _provider
    if provider is not None:
        provider.force_flush(FLUSH_TIMEOUT_MS)


def tracer(name: str) -> Tracer:
    """The tracer `name` of the installed provider, or the no-op tracer."""
    provider = _provider
    return _NOOP_TRACER if provider is None else _tracer_of(provider, name)


@lru_cache(maxsize=64)
def _tracer_of(provider: TracerProvider, name: str) -> Tracer:
    return provider.get_tracer(name)


def trace_exemplar() -> dict[str, str] | None:
    """`{"trace_id": ...}` for a histogram observation made inside a sampled span, else None
    (an exemplar pointing at a trace that was not kept would lead nowhere)."""
    if _provider is None:
        return None
    context = trace.get_current_span().get_span_context()
    if context.is_valid and context.trace_flags.sampled:
        return {"trace_id": format(context.trace_id, "032x")}
    return None


def tag_current_span(key: str, value: str | int | float | bool) -> None:
    """Set an attribute on the current span (nothing when there is none)."""
    if _provider is not None:
        trace.get_current_span().set_attribute(key, value)


def name_request_span(method: str, route: str) -> None:
    """Name the request's SERVER span `<method> <route>` and set its `http.route`, once
    routing has found the route (the ASGI middleware named it by the method alone)."""
    if _provider is None:
        return
    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)


async def outside_any_trace(work: Awaitable[T]) -> T:
    """Await `work` in no trace: for a background loop that a request happens to start (its
    task copies the request's context), so that its later round trips do not all become
    children of that one request's span."""
    token = otel_context.attach(Context())
    try:
        return await work
    finally:
        otel_context.detach(token)
