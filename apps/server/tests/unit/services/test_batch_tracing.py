"""The micro-batch in traces: waits, the batch span and its links, the publish inside it."""

import asyncio
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Link, SpanKind

from server.core.broadcast import MemoryBroadcast
from server.core.tracing import tracer
from server.database.session import Database
from server.services.predictions.service import PredictionService, Ticket
from server.services.predictions.tracing import BATCH_SPAN, WAIT_SPAN, start_wait
from server.services.traffic import ServedVersion
from server.taskqueue.names import PREDICT_TASK
from server.taskqueue.results import create_result_waiter
from server.tests.support.answering_worker import AnsweringWorker
from server.tests.support.settings import SettingsFactory
from server.tests.support.tracing import named, recorded_spans

VERSION = ServedVersion(version=4, sha256="0" * 64)
ITEM = {"label": "billing", "confidence": 0.9, "probabilities": {"billing": 0.9}}


def _service(
    make_settings: SettingsFactory, tmp_path: Path
) -> tuple[PredictionService, AnsweringWorker]:
    # A window long enough that both requests below are gathered into one batch; a full
    # batch (two texts) leaves at once, so the test never waits for the window.
    settings = make_settings(
        embedded_broker_dir=tmp_path / "broker", batch_window_ms=60_000, batch_max_texts=2
    )
    results = tmp_path / "broker" / "results"
    results.mkdir(parents=True)
    worker = AnsweringWorker(results, {"version": 4, "items": [ITEM]})
    service = PredictionService(
        settings,
        Database.from_settings(settings),
        worker,  # type: ignore[arg-type]
        create_result_waiter(settings, poll_s=0.01),
        MemoryBroadcast(),
    )
    return service, worker


def _id(span: ReadableSpan) -> tuple[int, int]:
    assert span.context is not None
    return span.context.trace_id, span.context.span_id


async def test_a_batch_links_every_request_it_carries_and_publishes_inside_its_span(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    with recorded_spans() as exporter:
        service, worker = _service(make_settings, tmp_path)

        async def request(text: str) -> None:
            with tracer("test").start_as_current_span("request", kind=SpanKind.SERVER):
                wait = start_wait(1)
                try:
                    await service.batcher.submit(VERSION, [Ticket(text, None, "u", wait)])
                finally:
                    assert wait is not None
                    wait.end()

        worker.answer = {"version": 4, "items": [ITEM, ITEM]}
        await asyncio.gather(request("a"), request("b"))
        await service.aclose()
    spans = exporter.get_finished_spans()
    requests = named(spans, "request")
    (batch,) = named(spans, BATCH_SPAN)
    waits = named(spans, WAIT_SPAN)
    (publish,) = named(spans, f"publish {PREDICT_TASK}")

    assert batch.parent is None  # a root: no request is its parent
    assert {(link.context.trace_id, link.context.span_id) for link in batch.links} == {
        _id(span) for span in requests
    }
    assert batch.attributes is not None
    assert batch.attributes["batch.size"] == 2
    assert batch.attributes["batch.requests"] == 2
    assert batch.attributes["model.version"] == 4
    assert {wait.parent.span_id for wait in waits if wait.parent} == {
        _id(span)[1] for span in requests
    }
    for wait in waits:  # each wait leads to the batch that carried it
        assert [_id_of(link) for link in wait.links] == [_id(batch)]
    # Published from a thread (asyncio.to_thread), the PRODUCER span is the batch's child,
    # and its context travels to the worker in the task's headers.
    assert publish.kind is SpanKind.PRODUCER
    assert publish.parent is not None
    assert publish.parent.span_id == _id(batch)[1]
    ((_, options),) = worker.sent
    trace_id, span_id = _id(publish)
    assert options["headers"]["traceparent"].startswith(f"00-{trace_id:032x}-{span_id:016x}-")


def _id_of(link: Link) -> tuple[int, int]:
    return link.context.trace_id, link.context.span_id


async def test_with_tracing_off_nothing_is_added_to_the_task(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    service, worker = _service(make_settings, tmp_path)
    assert start_wait(1) is None
    try:
        await service._score(VERSION, [Ticket("a", None, "u")])
    finally:
        await service.aclose()
    ((_, options),) = worker.sent
    assert "traceparent" not in options["headers"]
