"""scripts/trace_smoke.py: the compose smoke follows a prediction from its exemplar to the
worker's span, and says which step is missing when one is.

The payloads under data/ come from a real run: the benchmark's stack (API, worker, broker,
PostgreSQL) tracing to an OTLP receiver, scraped by a real Prometheus with exemplar storage.
`prometheus_exemplars.json` is that Prometheus's `/api/v1/query_exemplars` answer (its first
series as recorded; a faster prediction and a batch job's series added beside it); the
`jaeger_*` traces are the spans our services exported for that prediction, in the JSON of
Jaeger's `/api/traces/{id}` (a parent as `CHILD_OF`, a span link as `FOLLOWS_FROM`, as
Jaeger writes them). The last tests serve them over HTTP to the script as CI runs it.

Run by scripts/check-infra.sh (pytest and PyYAML from uvx):
    uvx --from pytest --with pyyaml pytest scripts/tests
"""

import copy
import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
_spec = importlib.util.spec_from_file_location("trace_smoke", SCRIPTS / "trace_smoke.py")
assert _spec is not None and _spec.loader is not None
trace_smoke = importlib.util.module_from_spec(_spec)
sys.modules["trace_smoke"] = trace_smoke  # its dataclasses look their module up there
_spec.loader.exec_module(trace_smoke)

REQUEST_TRACE = "110296cd68bb7342cda9d9ad066ecd4f"
BATCH_TRACE = "2204bf5c8676117561e591396c2d0303"


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return loaded


def without_span(trace: dict[str, Any], operation: str) -> dict[str, Any]:
    changed = copy.deepcopy(trace)
    spans = changed["data"][0]["spans"]
    changed["data"][0]["spans"] = [s for s in spans if s["operationName"] != operation]
    return changed


def test_the_predictions_exemplars_are_read_slowest_first() -> None:
    found = trace_smoke.exemplars(payload("prometheus_exemplars"))
    # The jobs route's exemplar is not a prediction's.
    assert [(e.trace_id, e.value) for e in found] == [
        (REQUEST_TRACE, 0.2550157170003331),
        ("4bf92f3577b34da6a3ce929d0e0e4736", 0.031542),
    ]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": "success", "data": []}, "no exemplar"),
        ({"status": "error", "errorType": "bad_data", "error": "parse error"}, "parse error"),
    ],
    ids=["none-yet", "error"],
)
def test_no_exemplar_is_missing(answer: dict[str, Any], message: str) -> None:
    with pytest.raises(trace_smoke.Missing, match=message):
        trace_smoke.exemplars(answer)


def test_an_exemplar_without_a_trace_id_is_not_followed() -> None:
    answer = payload("prometheus_exemplars")
    for series in answer["data"]:
        for exemplar in series["exemplars"]:
            exemplar["labels"] = {}
    with pytest.raises(trace_smoke.Missing, match="no exemplar"):
        trace_smoke.exemplars(answer)


def test_the_request_trace_links_its_wait_to_the_batch_trace() -> None:
    found = trace_smoke.spans(payload("jaeger_request_trace"))
    assert trace_smoke.batch_trace(found) == int(BATCH_TRACE, 16)


def test_a_trace_id_written_without_its_leading_zero_is_the_same_trace() -> None:
    # Jaeger may print an id without leading zeros: its own parent is still no link.
    zero_led = "0a" + REQUEST_TRACE[2:]
    text = (DATA / "jaeger_request_trace.json").read_text().replace(REQUEST_TRACE, zero_led)
    answer = json.loads(text)
    for span in answer["data"][0]["spans"]:
        span["traceID"] = zero_led.lstrip("0")
    wait = next(s for s in trace_smoke.spans(answer) if s.operation == trace_smoke.WAIT_SPAN)
    assert wait.linked_traces == (int(BATCH_TRACE, 16),)


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("POST /api/v1/predictions", r"no span 'POST /api/v1/predictions'"),
        ("predictions.batcher_wait", r"no span 'predictions\.batcher_wait'"),
    ],
)
def test_a_request_trace_without_its_spans_is_missing(operation: str, message: str) -> None:
    found = trace_smoke.spans(without_span(payload("jaeger_request_trace"), operation))
    with pytest.raises(trace_smoke.Missing, match=message):
        trace_smoke.batch_trace(found)


def test_a_wait_without_its_span_link_is_missing() -> None:
    answer = payload("jaeger_request_trace")
    for span in answer["data"][0]["spans"]:
        span["references"] = [r for r in span["references"] if r["refType"] == "CHILD_OF"]
    with pytest.raises(trace_smoke.Missing, match="no span link"):
        trace_smoke.batch_trace(trace_smoke.spans(answer))


def test_the_batch_trace_holds_the_workers_scoring_span() -> None:
    score = trace_smoke.check_batch(trace_smoke.spans(payload("jaeger_batch_trace")))
    assert (score.operation, score.service) == ("inference.score", "triage-worker")


def test_a_scoring_span_from_another_service_is_not_the_workers() -> None:
    answer = payload("jaeger_batch_trace")
    answer["data"][0]["processes"]["p2"]["serviceName"] = "triage-api"
    with pytest.raises(trace_smoke.Missing, match=r"no span 'inference\.score' from triage-worker"):
        trace_smoke.check_batch(trace_smoke.spans(answer))


def test_an_unknown_trace_is_missing() -> None:
    with pytest.raises(trace_smoke.Missing, match="trace not found"):
        trace_smoke.spans(payload("jaeger_not_found"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_missing_step_is_retried_until_it_appears() -> None:
    clock, answers = FakeClock(), iter([trace_smoke.Missing("not yet"), None, "found"])

    def step() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            raise trace_smoke.Missing("still not")
        return answer

    assert trace_smoke.retried(step, "it", 60, clock, clock.sleep) == "found"
    assert clock.now == 2 * trace_smoke.POLL_S


def test_a_step_still_missing_after_the_wait_gives_up_saying_why() -> None:
    clock = FakeClock()

    def step() -> str:
        raise trace_smoke.Missing("no exemplar yet")

    with pytest.raises(trace_smoke.Missing, match=r"gave up after 10 s .*no exemplar yet"):
        trace_smoke.retried(step, "an exemplar", 10, clock, clock.sleep)
    assert 10 <= clock.now < 10 + trace_smoke.POLL_S


@pytest.fixture
def backends() -> Iterator[str]:
    """Prometheus and Jaeger on one local server, answering with the payloads; the slowest
    exemplar's trace is unknown to Jaeger (404), so the script must go on to the next."""
    exemplars = payload("prometheus_exemplars")
    exemplars["data"][1]["exemplars"][0]["value"] = "0.9"
    exemplars["data"][1]["exemplars"][0]["labels"]["trace_id"] = "ffffffffffffffffffffffffffffffff"
    routes = {
        "/api/v1/query_exemplars": (200, exemplars),
        f"/api/traces/{REQUEST_TRACE}": (200, payload("jaeger_request_trace")),
        f"/api/traces/{BATCH_TRACE}": (200, payload("jaeger_batch_trace")),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/api/v1/query_exemplars":
                assert 'route="/api/v1/predictions"' in parse_qs(url.query)["query"][0]
            status, body = routes.get(url.path, (404, payload("jaeger_not_found")))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_script_follows_the_whole_path(
    backends: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = trace_smoke.main(["--prometheus", backends, "--jaeger", backends, "--wait-s", "0"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"trace {REQUEST_TRACE}" in out
    assert f"batch trace {BATCH_TRACE}" in out
    assert "triage-worker's inference.score" in out


def test_the_script_fails_when_jaeger_cannot_be_reached(
    backends: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = "http://127.0.0.1:9"  # the discard port: nothing listens there
    status = trace_smoke.main(["--prometheus", backends, "--jaeger", nobody, "--wait-s", "0"])
    assert status == 1
    assert "a prediction's trace in Jaeger" in capsys.readouterr().err
