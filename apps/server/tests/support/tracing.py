"""Recording this process's spans in a test: an SDK provider with an in-memory exporter."""

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from server.core import tracing
from server.core.tracing_instruments import uninstrument_clients


@contextmanager
def recorded_spans(ratio: float = 1.0) -> Iterator[InMemorySpanExporter]:
    """Install a provider sampling at `ratio` (the service's sampler) whose spans land in the
    exporter yielded; apps and publishers built inside the block trace into it. Tracing is off
    again afterwards (libraries unpatched), whatever the test did."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing.sampler_for(ratio))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)
        uninstrument_clients()
        provider.shutdown()


def named(spans: tuple[ReadableSpan, ...] | list[ReadableSpan], name: str) -> list[ReadableSpan]:
    """The spans called `name`."""
    return [span for span in spans if span.name == name]
