"""Logs and metrics tied to traces: trace ids on log lines, exemplars in OpenMetrics."""

import os
import subprocess  # nosec B404 - runs this interpreter on a fixed script
import sys
from pathlib import Path

import httpx
import pytest
import structlog

from server.config import SERVER_DIR
from server.core.logging import configure_logging
from server.core.tracing import REQUEST_ID_ATTRIBUTE, tracer
from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.logs import json_lines
from server.tests.support.settings import SettingsFactory
from server.tests.support.tracing import recorded_spans

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def test_a_line_logged_inside_a_span_carries_its_trace_and_span_ids(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True))
    log = structlog.get_logger("test")
    with recorded_spans() as exporter, tracer("t").start_as_current_span("work"):
        log.info("inside.span")
    log.info("outside.span")
    inside, outside = json_lines(capsys.readouterr().err)
    (span,) = exporter.get_finished_spans()
    assert inside["trace_id"] == format(span.context.trace_id, "032x")
    assert inside["span_id"] == format(span.context.span_id, "016x")
    assert "trace_id" not in outside
    assert "span_id" not in outside


async def test_a_request_is_traced_and_its_latency_exemplar_opens_the_trace(
    make_settings: SettingsFactory,
) -> None:
    with recorded_spans() as exporter:
        app = create_app(make_settings())
        async with client_for(app, authenticated=False) as client:
            answer = await client.get("/api/v1/meta", headers={"X-Request-ID": "req-traced"})
            assert answer.status_code == 200
            openmetrics = await client.get("/metrics", headers={"Accept": OPENMETRICS})
            plain = await client.get("/metrics")
        await app.state.services.database.dispose()
    (server,) = [s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
    assert server.attributes is not None
    assert server.attributes[REQUEST_ID_ATTRIBUTE] == "req-traced"
    trace_id = format(server.context.trace_id, "032x")
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert f'trace_id="{trace_id}"' in _bucket_lines(openmetrics, "/api/v1/meta")
    assert plain.headers["content-type"].startswith("text/plain")
    assert "trace_id" not in plain.text
    # Probes and scrapes are not traced.
    assert all("/metrics" not in span.name for span in exporter.get_finished_spans())


def _bucket_lines(response: httpx.Response, route: str) -> str:
    return "\n".join(
        line
        for line in response.text.splitlines()
        if line.startswith("http_request_duration_seconds_bucket") and f'route="{route}"' in line
    )


async def test_with_tracing_off_a_request_logs_no_trace_id(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings())
    async with client_for(app, authenticated=False) as client:
        assert (await client.get("/api/v1/meta")).status_code == 200
    await app.state.services.database.dispose()
    (access,) = [
        line for line in json_lines(capsys.readouterr().err) if line["event"] == "http.request"
    ]
    assert "request_id" in access
    assert "trace_id" not in access


SAMPLED_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def test_requests_the_ratio_does_not_pick_make_no_span_unless_a_caller_traces_them(
    make_settings: SettingsFactory,
) -> None:
    """At ratio 0 nothing is picked: a request costs no span work at all, while one whose
    caller sampled its trace (`traceparent`) joins it, named after its route."""
    with recorded_spans(ratio=0.0) as exporter:
        app = create_app(make_settings())
        async with client_for(app, authenticated=False) as client:
            assert (await client.get("/api/v1/meta")).status_code == 200
            assert not exporter.get_finished_spans()
            joined = await client.get("/api/v1/meta", headers={"traceparent": SAMPLED_PARENT})
            assert joined.status_code == 200
        await app.state.services.database.dispose()
    (server,) = [s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
    assert server.name == "GET /api/v1/meta"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/api/v1/meta"
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == "b7ad6b7169203331"


FASTAPI_OWN_TELEMETRY = """
import asyncio, sys
import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from server.config import Settings
from server.core import tracing
from server.main import create_app

exporter = InMemorySpanExporter()
provider = TracerProvider(sampler=tracing.sampler_for(1.0))
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)  # what a traced process does: FastAPI sees it too
tracing.install(provider)
app = create_app(Settings(database_url=sys.argv[1]))

async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/v1/meta")).status_code == 200
    await app.state.services.database.dispose()

asyncio.run(main())
print(sorted(s.name for s in exporter.get_finished_spans() if s.kind.name == "SERVER"))
"""


def test_fastapis_own_telemetry_adds_no_second_request_span(tmp_path: Path) -> None:
    """FastAPI traces requests by itself once a global tracer provider exists; beside the
    ASGI instrumentation that would double every request span and its cost."""
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", FASTAPI_OWN_TELEMETRY, f"sqlite+aiosqlite:///{tmp_path}/t.db"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(SERVER_DIR.parent)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "['GET /api/v1/meta']"
