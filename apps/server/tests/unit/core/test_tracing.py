"""Tracing set-up: off without an endpoint, the service's sampler, the provider it builds."""

import asyncio

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from server.core import tracing
from server.core.tracing_instruments import ChildSpansOnly
from server.tests.support.settings import SettingsFactory
from server.tests.support.tracing import recorded_spans

SAMPLED = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
NOT_SAMPLED = SpanContext(0x1234, 0x9ABC, is_remote=True, trace_flags=TraceFlags(0))


def _provider(ratio: float) -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing.sampler_for(ratio))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_without_an_endpoint_nothing_is_installed_and_spans_are_no_ops(
    make_settings: SettingsFactory,
) -> None:
    assert tracing.setup_tracing(make_settings(), tracing.SERVICE_API) is None
    assert tracing.active() is None
    assert not tracing.enabled()
    with tracing.tracer("t").start_as_current_span("work") as span:
        assert not span.is_recording()
        assert not span.get_span_context().is_valid
        assert tracing.trace_exemplar() is None


def test_an_installed_provider_is_the_one_setup_returns(make_settings: SettingsFactory) -> None:
    provider, exporter = _provider(1.0)
    tracing.install(provider)
    try:
        assert tracing.setup_tracing(make_settings(), tracing.SERVICE_WORKER) is provider
        with tracing.tracer("t").start_as_current_span("work"):
            pass
    finally:
        tracing.install(None)
    assert [span.name for span in exporter.get_finished_spans()] == ["work"]


def test_a_built_provider_names_its_service_and_samples_at_the_setting(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(tracing_otlp_endpoint="http://jaeger:4318", tracing_sample_ratio=0.25)
    provider = tracing.build_provider(settings, tracing.SERVICE_BEAT, InMemorySpanExporter())
    assert provider.resource.attributes["service.name"] == "triage-beat"
    assert "LinkedOrRatio" in provider.sampler.get_description()
    assert "0.25" in provider.sampler.get_description()
    provider.shutdown()


def test_spans_go_to_the_collectors_traces_path() -> None:
    exporter = tracing.otlp_exporter("http://jaeger:4318/")
    assert exporter._endpoint == "http://jaeger:4318/v1/traces"


def test_an_empty_endpoint_means_off(make_settings: SettingsFactory) -> None:
    assert make_settings(tracing_otlp_endpoint="").tracing_otlp_endpoint is None


def test_new_traces_are_sampled_by_trace_id_at_the_ratio() -> None:
    sampler = tracing.sampler_for(0.5)
    low, high = 1, 2**64 - 1  # the ratio sampler compares the trace id's low 64 bits
    assert sampler.should_sample(None, low, "root").decision is Decision.RECORD_AND_SAMPLE
    assert sampler.should_sample(None, high, "root").decision is Decision.DROP


def test_a_child_follows_its_parents_decision_whatever_the_ratio() -> None:
    provider, _ = _provider(0.0)
    tracer = provider.get_tracer("t")
    sampled = trace.set_span_in_context(NonRecordingSpan(SAMPLED))
    dropped = trace.set_span_in_context(NonRecordingSpan(NOT_SAMPLED))
    assert tracer.start_span("child", context=sampled).is_recording()
    assert not tracer.start_span("child", context=dropped).is_recording()
    assert not tracer.start_span("root").is_recording()


def test_a_root_linked_to_a_sampled_span_is_recorded() -> None:
    provider, _ = _provider(0.0)
    tracer = provider.get_tracer("t")
    assert tracer.start_span("batch", links=[Link(SAMPLED)]).is_recording()
    assert not tracer.start_span("batch", links=[Link(NOT_SAMPLED)]).is_recording()


def test_a_root_client_span_is_a_background_poll_and_dropped() -> None:
    provider, _ = _provider(1.0)
    tracer = provider.get_tracer("t")
    assert not tracer.start_span("GET", kind=SpanKind.CLIENT).is_recording()
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER):
        assert tracer.start_span("GET", kind=SpanKind.CLIENT).is_recording()


def test_an_exemplar_names_the_trace_of_a_sampled_span_only() -> None:
    with recorded_spans():
        with tracing.tracer("t").start_as_current_span("request") as span:
            expected = format(span.get_span_context().trace_id, "032x")
            assert tracing.trace_exemplar() == {"trace_id": expected}
        with trace.use_span(NonRecordingSpan(NOT_SAMPLED)):
            assert tracing.trace_exemplar() is None


async def test_a_background_loop_a_request_starts_belongs_to_no_trace() -> None:
    def current() -> SpanContext:
        return trace.get_current_span().get_span_context()

    async def loop_iteration() -> SpanContext:
        return current()

    with recorded_spans(), tracing.tracer("t").start_as_current_span("request") as request:
        inherited = await asyncio.create_task(loop_iteration())
        detached = await asyncio.create_task(tracing.outside_any_trace(loop_iteration()))
        assert current() == request.get_span_context()  # the caller's context is intact
    assert inherited == request.get_span_context()  # what a plain task would do
    assert not detached.is_valid


def test_client_spans_are_made_only_inside_a_recorded_span() -> None:
    """Redis, SQL and HTTP calls of an unsampled request (or of no request) cost no span:
    the client instrumentations' tracer hands out a non-recording one without sampling."""
    with recorded_spans(ratio=1.0) as exporter:
        provider = tracing.active()
        assert provider is not None
        client = ChildSpansOnly(provider).get_tracer("client")
        with client.start_as_current_span("GET", kind=SpanKind.CLIENT) as orphan:
            assert not orphan.is_recording()
        with (
            tracing.tracer("test").start_as_current_span("request"),
            client.start_as_current_span("GET", kind=SpanKind.CLIENT) as child,
        ):
            assert child.is_recording()
        unsampled = trace.NonRecordingSpan(
            trace.SpanContext(1, 2, is_remote=True, trace_flags=trace.TraceFlags(0))
        )
        with trace.use_span(unsampled), client.start_as_current_span("GET") as under_unsampled:
            assert not under_unsampled.is_recording()
            assert under_unsampled.get_span_context().trace_id == 1
        assert [span.name for span in exporter.get_finished_spans()] == ["GET", "request"]
