"""One prediction traced across processes: the API's spans (in memory), a real worker's
spans (exported over OTLP/HTTP to a receiver in this test), tied by context and links."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from server.config import Settings
from server.core.tracing import REQUEST_ID_ATTRIBUTE, SERVICE_WORKER
from server.main import create_app
from server.services.predictions.tracing import BATCH_SPAN, WAIT_SPAN
from server.taskqueue.names import JOB_TASK, PREDICT_TASK
from server.tests.support.apps import client_for
from server.tests.support.databases import provision_database
from server.tests.support.models import ModelCache
from server.tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan, otlp_receiver
from server.tests.support.serving import (
    broker_backends,
    install_version,
    stack_settings,
    worker_env,
)
from server.tests.support.tracing import named, recorded_spans
from server.tests.support.waiting import WORK_BUDGET_S, eventually
from server.tests.support.worker import celery_worker
from server.worker.job_tasks import CHUNK_SPAN
from server.worker.scoring import SCORE_SPAN

TEXTS = ["I was charged twice for my subscription", "The app crashes when I log in"]
REQUEST_ID = "req-traced-prediction"


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracing")


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp: Path, receiver: OtlpReceiver, model_cache: ModelCache) -> Iterator[Settings]:
    backend = broker_backends()[-1]  # Redis when configured: its client is traced too
    with provision_database("sqlite", tmp) as database:
        settings = stack_settings(backend, database.settings.database_url, tmp)
        env = {
            **worker_env(settings),
            "APP_TRACING_OTLP_ENDPOINT": receiver.endpoint,
            "APP_TRACING_SAMPLE_RATIO": "1.0",
            "APP_LOG_LEVEL": "INFO",
            # The SDK's export interval (5 s by default), read by the SDK itself.
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
        with celery_worker(env, queues="inference,batch", output=tmp / "worker.log"):
            asyncio.run(install_version(settings, model_cache, alias="champion"))
            yield settings


def _hex(span: ReadableSpan) -> tuple[str, str]:
    assert span.context is not None
    return format(span.context.trace_id, "032x"), format(span.context.span_id, "016x")


async def _predict(settings: Settings) -> httpx.Response:
    app = create_app(settings)
    try:
        async with client_for(app) as client:

            async def readiness() -> httpx.Response:
                return await client.get("/readiness")

            await eventually(readiness, lambda r: r.status_code == 200)
            return await client.post(
                "/api/v1/predictions", json={"texts": TEXTS}, headers={"X-Request-ID": REQUEST_ID}
            )
    finally:
        await app.state.services.database.dispose()


async def test_a_prediction_is_traced_through_the_batch_to_the_workers_scoring(
    stack: Settings, receiver: OtlpReceiver, tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with recorded_spans() as exporter:
        response = await _predict(stack)
    assert response.status_code == 200, response.text
    spans = exporter.get_finished_spans()

    # The API: the request's SERVER span carries the request id; its wait in the batcher is
    # its child; the batch is a root linked to it, and publishes inside its own span.
    (request,) = [
        span
        for span in spans
        if span.kind is SpanKind.SERVER
        and (span.attributes or {}).get(REQUEST_ID_ATTRIBUTE) == REQUEST_ID
    ]
    request_trace, request_span = _hex(request)
    (wait,) = [s for s in named(spans, WAIT_SPAN) if _hex(s)[0] == request_trace]
    assert wait.parent is not None
    assert format(wait.parent.span_id, "016x") == request_span
    (batch,) = [
        s
        for s in named(spans, BATCH_SPAN)
        if any(format(link.context.span_id, "016x") == request_span for link in s.links)
    ]
    assert batch.parent is None
    batch_trace, batch_span = _hex(batch)
    (publish,) = [s for s in named(spans, f"publish {PREDICT_TASK}") if _hex(s)[0] == batch_trace]
    assert publish.parent is not None
    assert format(publish.parent.span_id, "016x") == batch_span
    publish_span = _hex(publish)[1]

    # The worker: its task span continues the batch's trace under the publish, and the
    # scoring span under it says what scored the batch.
    def scored(received: list[ReceivedSpan]) -> bool:
        return any(s.name == SCORE_SPAN and s.trace_id == batch_trace for s in received)

    received = [s for s in receiver.wait_for(scored, WORK_BUDGET_S) if s.trace_id == batch_trace]
    (run,) = [s for s in received if s.name == f"run/{PREDICT_TASK}"]
    assert run.service == SERVICE_WORKER
    assert run.parent_span_id == publish_span
    (score,) = [s for s in received if s.name == SCORE_SPAN]
    assert score.parent_span_id == run.span_id
    assert score.attributes["batch.size"] == len(TEXTS)
    assert score.attributes["model.version"] == 1
    assert score.attributes["model.device"] == "cpu"

    # Logs: the API's access line carries the request's trace, a worker line the batch's.
    api_log = capsys.readouterr().err
    assert any(
        '"http.request"' in line and request_trace in line and REQUEST_ID in line
        for line in api_log.splitlines()
    )
    worker_log = (tmp / "worker.log").read_text(errors="replace")
    assert any(f"trace_id={batch_trace}" in line for line in worker_log.splitlines())

    # Metrics: the worker's scoring histogram (a prefork pool: multiprocess mode) shows the
    # batch's trace as an exemplar when scraped in OpenMetrics, and only then.
    # The pool process writes its exemplars for the scrape about a second after it scored.
    url = f"http://127.0.0.1:{stack.worker_metrics_port}/metrics"
    async with httpx.AsyncClient() as scraper:

        async def scrape() -> str:
            accept = {"Accept": "application/openmetrics-text"}
            return (await scraper.get(url, headers=accept)).text

        await eventually(
            scrape,
            lambda text: any(
                line.startswith("inference_duration_seconds_bucket") and batch_trace in line
                for line in text.splitlines()
            ),
        )
        plain = await scraper.get(url)
    assert "trace_id" not in plain.text


async def test_a_batch_jobs_trace_shows_each_of_its_chunks(
    stack: Settings, receiver: OtlpReceiver
) -> None:
    items = [{"text": TEXTS[i % 2]} for i in range(250)]
    settings = stack.model_copy(update={"jobs_chunk_size": 100})  # three chunks
    with recorded_spans() as exporter:
        app = create_app(settings)
        try:
            async with client_for(app) as client:
                response = await client.post("/api/v1/jobs", json={"items": items})
                assert response.status_code == 202, response.text
                location = response.headers["location"]

                async def job() -> dict[str, object]:
                    body: dict[str, object] = (await client.get(location)).json()
                    return body

                done = await eventually(
                    job, lambda body: body["status"] not in ("queued", "running")
                )
        finally:
            await app.state.services.database.dispose()
    assert done["status"] == "succeeded", done
    (publish,) = named(exporter.get_finished_spans(), f"publish {JOB_TASK}")
    trace_id, publish_span = _hex(publish)

    def chunks_done(received: list[ReceivedSpan]) -> bool:
        return len(
            [s for s in received if s.name == CHUNK_SPAN and s.trace_id == trace_id]
        ) == 3 and any(s.name == f"run/{JOB_TASK}" and s.trace_id == trace_id for s in received)

    received = [s for s in receiver.wait_for(chunks_done, WORK_BUDGET_S) if s.trace_id == trace_id]
    (run,) = [s for s in received if s.name == f"run/{JOB_TASK}"]
    assert run.parent_span_id == publish_span
    chunks = [s for s in received if s.name == CHUNK_SPAN]
    assert {s.parent_span_id for s in chunks} == {run.span_id}
    assert sorted(s.attributes["chunk.texts"] for s in chunks) == [50, 100, 100]
