"""Latency exemplars (`trace_id`) that survive prometheus-client's multiprocess mode.

A histogram observed inside a sampled span carries the span's trace id as the exemplar of
its bucket, shown when `/metrics` is scraped in OpenMetrics format, so a dashboard's slow
bucket opens a trace. prometheus-client keeps exemplars in process memory only: in
multiprocess mode (the API with several uvicorn workers, every Celery worker) it drops
them. There, each process also keeps its latest exemplar per bucket in a small JSON file of
the multiprocess directory (`exemplars_<pid>.json`, written at most once a second, on an
observation), and `core.metrics.WithExemplars` puts the latest of all processes on the
aggregate's bucket samples at scrape time.
"""

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import Histogram
from prometheus_client.utils import floatToGoString

from server.core.metrics import EXEMPLAR_FILE, ExemplarKey, multiprocess_dir
from server.core.tracing import trace_exemplar

WRITE_INTERVAL_S = 1.0


class _ProcessExemplars:
    """This process's latest exemplar per bucket, written to its file now and then."""

    def __init__(self) -> None:
        self._latest: dict[ExemplarKey, tuple[str, float, float]] = {}
        self._written_at = 0.0
        self._lock = threading.Lock()  # observed from the event loop and from threads

    def record(self, key: ExemplarKey, trace_id: str, value: float, directory: Path) -> None:
        now = time.time()
        with self._lock:
            self._latest[key] = (trace_id, value, now)
            if now - self._written_at < WRITE_INTERVAL_S:
                return
            self._written_at = now
            rows = [
                [name, dict(labels), *latest] for (name, labels), latest in self._latest.items()
            ]
        path = directory / EXEMPLAR_FILE.format(pid=os.getpid())
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(rows), encoding="utf-8")
        partial.replace(path)  # a scrape never reads half a file


_process = _ProcessExemplars()


def observe(histogram: Histogram, labels: Sequence[str], value: float) -> None:
    """`histogram.labels(*labels).observe(value)`, with the current trace as its exemplar
    when the observation is made inside a sampled span."""
    exemplar = trace_exemplar()
    histogram.labels(*labels).observe(value, exemplar=exemplar)
    directory = multiprocess_dir() if exemplar is not None else None
    if exemplar is None or directory is None:
        return
    # The bucket prometheus-client itself counts the value in (the first bound >= value).
    bounds: Sequence[float] = histogram._upper_bounds  # private: not exposed otherwise
    bound = next(b for b in bounds if value <= b)
    names = (*histogram._labelnames, "le")
    label_values = (*labels, floatToGoString(bound))  # type: ignore[no-untyped-call]
    key = (f"{histogram._name}_bucket", tuple(sorted(zip(names, label_values, strict=True))))
    _process.record(key, exemplar["trace_id"], value, directory)
