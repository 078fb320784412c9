#!/usr/bin/env python3
"""Compose smoke: a prediction is followed from its latency exemplar to the worker's span.

    python3 scripts/trace_smoke.py [--prometheus URL] [--jaeger URL] [--wait-s SECONDS]

Run by CI's compose smoke job after scripts/smoke-api.sh made its prediction, it walks the
path README "Tracing and SLOs" describes, with bounded retries (Prometheus scrapes every
15 s, the exporters send in batches):

1. Prometheus holds an exemplar with a `trace_id` on `http_request_duration_seconds` of
   `POST /api/v1/predictions` (`/api/v1/query_exemplars`); the slowest is followed first;
2. Jaeger (`/api/traces/{id}` on its UI port) has that trace, with the request span
   `POST /api/v1/predictions` and `predictions.batcher_wait`, whose span link (a reference
   into another trace) leads to the batch;
3. that batch trace holds `predictions.batch` and the worker's `inference.score` (service
   `triage-worker`).

Standard library only: the runner's python3 runs it as it is. Exit status 0 when the whole
path is there, 1 when a step is still missing after the wait, with what was found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

ROUTE = "/api/v1/predictions"
REQUEST_SPAN = f"POST {ROUTE}"
WAIT_SPAN = "predictions.batcher_wait"
BATCH_SPAN = "predictions.batch"
SCORE_SPAN = "inference.score"
API_SERVICE = "triage-api"
WORKER_SERVICE = "triage-worker"
EXEMPLAR_QUERY = f'http_request_duration_seconds_bucket{{route="{ROUTE}",method="POST"}}'
POLL_S = 3.0


class Missing(Exception):
    """A step of the path is not (yet) there; the message says what was found."""


@dataclass(frozen=True)
class Exemplar:
    trace_id: str
    value: float


@dataclass(frozen=True)
class Span:
    trace_id: int
    span_id: str
    operation: str
    service: str
    linked_traces: tuple[int, ...]
    """Traces this span refers to other than its own: its span links."""


def trace_number(text: str) -> int:
    """A trace id as a number: Prometheus writes 32 hex digits, Jaeger may drop zeros."""
    return int(text, 16)


def exemplars(payload: dict[str, Any]) -> list[Exemplar]:
    """The predictions route's exemplars with a trace_id in a `/api/v1/query_exemplars`
    answer, slowest first."""
    if payload.get("status") != "success":
        raise Missing(f"Prometheus answered {payload.get('status')}: {payload.get('error')}")
    found = []
    for series in payload.get("data") or []:
        labels = series.get("seriesLabels", {})
        if labels.get("route") != ROUTE or labels.get("method") != "POST":
            continue
        for exemplar in series.get("exemplars") or []:
            trace_id = exemplar.get("labels", {}).get("trace_id")
            if trace_id:
                found.append(Exemplar(trace_id, float(exemplar["value"])))
    if not found:
        raise Missing(f"no exemplar with a trace_id for {EXEMPLAR_QUERY}")
    return sorted(found, key=lambda exemplar: exemplar.value, reverse=True)


def spans(payload: dict[str, Any]) -> list[Span]:
    """Every span of a Jaeger `/api/traces/{id}` answer, with its service."""
    traces = payload.get("data") or []
    if not traces:
        raise Missing(f"Jaeger has no such trace: {payload.get('errors')}")
    found = []
    for trace in traces:
        services = {
            key: process.get("serviceName", "") for key, process in trace["processes"].items()
        }
        for span in trace.get("spans") or []:
            own = trace_number(span["traceID"])
            linked = {
                trace_number(reference["traceID"])
                for reference in span.get("references") or []
                if trace_number(reference["traceID"]) != own
            }
            found.append(
                Span(
                    trace_id=own,
                    span_id=span["spanID"],
                    operation=span["operationName"],
                    service=services.get(span.get("processID", ""), ""),
                    linked_traces=tuple(sorted(linked)),
                )
            )
    return found


def one(found: Sequence[Span], operation: str, service: str) -> Span:
    """The span named `operation` from `service`, or Missing listing what the trace holds."""
    for span in found:
        if span.operation == operation and span.service == service:
            return span
    held = sorted({f"{span.service}: {span.operation}" for span in found})
    raise Missing(f"no span {operation!r} from {service} among {held}")


def batch_trace(request: Sequence[Span]) -> int:
    """The batch trace a request trace links to: its request span and batcher wait are
    there, and the wait refers to another trace."""
    one(request, REQUEST_SPAN, API_SERVICE)
    wait = one(request, WAIT_SPAN, API_SERVICE)
    if not wait.linked_traces:
        raise Missing(f"{WAIT_SPAN} has no span link to a {BATCH_SPAN} trace")
    return wait.linked_traces[0]


def check_batch(batch: Sequence[Span]) -> Span:
    """The worker's scoring span in a batch trace (which is a predictions.batch's)."""
    one(batch, BATCH_SPAN, API_SERVICE)
    return one(batch, SCORE_SPAN, WORKER_SERVICE)


def get_json(url: str) -> dict[str, Any]:
    """GET `url` as JSON; a 404's JSON body too (Jaeger's "trace not found")."""
    try:
        # Our own parameters, http:// URLs of the compose stack given on the command line.
        with urllib.request.urlopen(url, timeout=10) as response:  # nosec B310
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise Missing(f"{url} answered {exc.code}") from exc
        body = exc.read()
    except OSError as exc:
        raise Missing(f"{url}: {exc}") from exc
    loaded: dict[str, Any] = json.loads(body)
    return loaded


def retried(
    step: Callable[[], T],
    what: str,
    wait_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`step()` again every few seconds while it raises Missing, for at most `wait_s`."""
    deadline = clock() + wait_s
    while True:
        try:
            return step()
        except Missing as exc:
            if clock() >= deadline:
                raise Missing(f"gave up after {wait_s:.0f} s waiting for {what}: {exc}") from exc
        sleep(POLL_S)


def follow(prometheus: str, jaeger: str, wait_s: float) -> str:
    """Walk the path; a line per step found, or Missing."""

    def exemplar_list() -> list[Exemplar]:
        now = time.time()
        query = urllib.parse.urlencode(
            {"query": EXEMPLAR_QUERY, "start": f"{now - 3600:.0f}", "end": f"{now + 60:.0f}"}
        )
        return exemplars(get_json(f"{prometheus}/api/v1/query_exemplars?{query}"))

    def trace_spans(trace_id: str) -> list[Span]:
        return spans(get_json(f"{jaeger}/api/traces/{trace_id}"))

    def request_trace() -> tuple[Exemplar, int]:
        # Several exemplars (one per bucket): the slowest whose trace shows the whole path.
        problems = []
        for exemplar in exemplar_list():
            try:
                return exemplar, batch_trace(trace_spans(exemplar.trace_id))
            except Missing as exc:
                problems.append(f"{exemplar.trace_id}: {exc}")
        raise Missing("; ".join(problems))

    exemplar, batch_id = retried(request_trace, "a prediction's trace in Jaeger", wait_s)
    batch_hex = format(batch_id, "032x")
    score = retried(
        lambda: check_batch(trace_spans(batch_hex)), "the batch trace's worker span", wait_s
    )
    return "\n".join(
        [
            f"exemplar: {exemplar.value:.3f} s on {REQUEST_SPAN}, trace {exemplar.trace_id}",
            f"request trace: {REQUEST_SPAN} and {WAIT_SPAN}, linked to batch trace {batch_hex}",
            f"batch trace: {BATCH_SPAN} and {score.service}'s {SCORE_SPAN} (span {score.span_id})",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--jaeger", default="http://127.0.0.1:16686")
    parser.add_argument("--wait-s", type=float, default=120.0)
    args = parser.parse_args(argv)
    try:
        found = follow(args.prometheus.rstrip("/"), args.jaeger.rstrip("/"), args.wait_s)
    except Missing as exc:
        print(f"trace smoke failed: {exc}", file=sys.stderr)
        return 1
    print(found)
    print("trace smoke passed: exemplar -> request trace -> batch trace -> worker span")
    return 0


if __name__ == "__main__":
    sys.exit(main())
