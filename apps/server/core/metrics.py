"""Prometheus metrics of the HTTP layer and the `/metrics` exposition.

Names follow Prometheus conventions (base units, `_total` counters) and every label set is
bounded: the route *template* (never the raw path), a known HTTP method, the status code.

With several uvicorn workers, prometheus-client's multiprocess mode is used: the launcher
(`python -m server api`) sets `PROMETHEUS_MULTIPROC_DIR` before any worker starts, each
process writes its samples to files there, and whichever worker answers `/metrics`
aggregates all of them.
"""

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the end of the response.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being served right now.",
    ["method"],
    multiprocess_mode="livesum",
)

# Shared downstreams as this API process last saw them (at a readiness probe): whichever
# live process looked last gives the value. Alerts fire on these, never on readiness.
DEPENDENCY_UP = Gauge(
    "dependency_up",
    "1 when a shared dependency was healthy at this API's last look (broker, workers, "
    "model: the champion loaded by a live worker), 0 when not.",
    ["dependency"],
    multiprocess_mode="livemostrecent",
)
WORKER_PROCESSES = Gauge(
    "worker_processes_live",
    "Worker processes serving predictions whose heartbeat was fresh at this API's last look.",
    multiprocess_mode="livemostrecent",
)


def method_label(method: str) -> str:
    """Bound the method label: an arbitrary client-sent verb becomes `other`."""
    return method if method in KNOWN_METHODS else "other"


def multiprocess_dir() -> Path | None:
    """The directory of prometheus-client's multiprocess mode, if the launcher enabled it.

    prometheus-client itself switches on this variable at import time, so it is the one
    source of truth (not a setting read elsewhere).
    """
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


_PID_IN_FILENAME = re.compile(r"_(\d+)\.db$")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _worker_pids(directory: Path) -> set[int]:
    pids = {os.getpid()}
    for file in directory.glob("*.db"):
        match = _PID_IN_FILENAME.search(file.name)
        if match:
            pids.add(int(match.group(1)))
    return pids


def _read_proc(pid: int) -> tuple[float, int] | None:
    """CPU seconds and resident bytes of one live process, from /proc (Linux only)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        statm = Path(f"/proc/{pid}/statm").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime
    rss = int(statm.split()[1]) * _PAGE_SIZE
    return cpu, rss


class ProcessGroupCollector(Collector):
    """Process metrics summed over every live worker of the multiprocess directory.

    prometheus-client's own process collector reports only the process that happens to
    answer the scrape; this one reports the whole API, whichever worker answers.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        samples = [s for pid in _worker_pids(self.directory) if (s := _read_proc(pid))]
        cpu = CounterMetricFamily(
            "process_cpu_seconds", "CPU time of all API worker processes.", unit="seconds"
        )
        cpu.add_metric([], sum(s[0] for s in samples))
        rss = GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory of all API worker processes."
        )
        rss.add_metric([], float(sum(s[1] for s in samples)))
        count = GaugeMetricFamily("process_workers", "Live API worker processes.")
        count.add_metric([], float(len(samples)))
        yield from (cpu, rss, count)


def render_metrics(accept: str | None = None) -> tuple[bytes, str]:
    """The exposition of this process, or of every worker in multiprocess mode, in the format
    the scraper's `Accept` header asks for: OpenMetrics (which carries the latency
    histograms' `trace_id` exemplars) when it names `application/openmetrics-text`, else the
    plain text format, unchanged."""
    encode, content_type = choose_encoder(accept or "")
    directory = multiprocess_dir()
    if directory is None:
        return encode(REGISTRY), content_type
    registry = CollectorRegistry()
    aggregate = multiprocess.MultiProcessCollector(None, path=str(directory))  # type: ignore[no-untyped-call]
    registry.register(WithExemplars(aggregate, directory))
    registry.register(ProcessGroupCollector(directory))
    return encode(registry), content_type


EXEMPLAR_FILE = "exemplars_{pid}.json"
"""Each process's latest exemplars in multiprocess mode (written by `core/exemplars.py`)."""
ExemplarKey = tuple[str, tuple[tuple[str, str], ...]]
"""(bucket sample name, its labels sorted, `le` included)."""


def read_exemplars(directory: Path) -> dict[ExemplarKey, Exemplar]:
    """The latest exemplar per bucket over every process's file."""
    found: dict[ExemplarKey, Exemplar] = {}
    for path in directory.glob(EXEMPLAR_FILE.format(pid="*")):
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a process replaced it meanwhile: next scrape
            continue
        for name, labels, trace_id, value, at in rows:
            key = (name, tuple(sorted(labels.items())))
            if key not in found or (found[key].timestamp or 0) < at:
                found[key] = Exemplar({"trace_id": trace_id}, value, at)
    return found


class WithExemplars(Collector):
    """`inner`'s metrics (the multiprocess aggregate) with the processes' exemplars on their
    histogram buckets."""

    def __init__(self, inner: Collector, directory: Path) -> None:
        self.inner, self.directory = inner, directory

    def collect(self) -> Iterable[Metric]:
        exemplars = read_exemplars(self.directory)
        for family in self.inner.collect():
            if exemplars and family.type == "histogram":
                family.samples = [
                    sample._replace(exemplar=found)
                    if (found := exemplars.get((sample.name, tuple(sorted(sample.labels.items())))))
                    else sample
                    for sample in family.samples
                ]
            yield family


def mark_worker_dead() -> None:
    """Drop this process's live gauges from the aggregate when it exits cleanly."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
