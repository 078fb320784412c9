"""The tracing row of the serving benchmark (`--tracing`): what tracing costs predictions.

A second API process, the same in all but `APP_TRACING_OTLP_ENDPOINT`, traces at the
default sample ratio into a local OTLP sink process (the tests' receiver, discarding every
span), next to the untraced API; the worker they share traces for both (it is not the
bottleneck at this load, and its spans follow each API's decision). The traced predictions
row is measured right after the untraced one in every round, and the overhead is judged on
the ratio of the two paired within each round.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from server.config.tracing import TracingSettings
from server.scripts.bench import rounds, stack

UNTRACED_ROW = "predictions_token"
TRACED_ROW = "predictions_token_traced"
SESSION = "api_traced"
"""The traced API's name among the processes whose CPU is sampled."""
MAX_OVERHEAD = 0.05
"""Tracing on at the default ratio may cost predictions at most 5 % of their req/s."""
SAMPLE_RATIO: float = TracingSettings.model_fields["tracing_sample_ratio"].default


@contextlib.contextmanager
def otlp_sink(state_dir: Path, timeout_s: float = 60) -> Iterator[str]:
    """A local OTLP/HTTP receiver process that discards what it gets; its base URL."""
    port = stack.free_port()
    log = state_dir / "otlp-sink.log"
    args = ["-m", "server.tests.support.otlp_receiver", "--port", str(port), "--discard"]
    process = stack.start_python(args, {**stack.base_env()}, log)
    endpoint = f"http://{stack.LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise stack.StackError(f"the OTLP sink exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.post(f"{endpoint}/v1/traces", content=b"", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise stack.StackError(f"the OTLP sink did not answer in {timeout_s:.0f} s")
            time.sleep(0.2)
        yield endpoint
    finally:
        stack.stop(process)


@contextlib.contextmanager
def traced_api(
    running: stack.Stack, sink: str, state_dir: Path, timeout_s: float = 120
) -> Iterator[stack.Stack]:
    """A second API on the running stack's database, broker and worker, tracing into `sink`
    at the default ratio; stopped after."""
    port = stack.free_port()
    env = {
        **running.env,
        "APP_PORT": str(port),
        "APP_TRACING_OTLP_ENDPOINT": sink,
        # Its own metrics files: a multi-worker API clears its directory at start.
        "APP_METRICS_MULTIPROC_DIR": str(state_dir / "metrics-traced"),
    }
    env.pop("APP_TRACING_SAMPLE_RATIO", None)  # the default ratio is what is judged
    log = state_dir / "api-traced.log"
    process = stack.start_python(["-m", "server", "api"], env, log)
    traced = stack.Stack(
        base_url=f"http://{stack.LOOPBACK}:{port}",
        worker_metrics_url=running.worker_metrics_url,
        env=env,
        processes={SESSION: process},
        logs={SESSION: log},
    )
    try:
        stack.wait_ready(traced, timeout_s)
        yield traced
    finally:
        stack.stop(process)


def traced_row(rows: Sequence[rounds.Endpoint], traced: stack.Stack) -> rounds.Endpoint:
    """The untraced predictions row, against the traced API."""
    (untraced,) = [row for row in rows if row.name == UNTRACED_ROW]
    return rounds.Endpoint(
        TRACED_ROW,
        f"{untraced.label}, tracing on (ratio {SAMPLE_RATIO:g})",
        traced.base_url,
        untraced.target,
    )


def overhead(measured: Sequence[dict[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """Traced ÷ untraced predictions req/s paired within each round (median, min, max), the
    overhead that median means, and whether it is within `MAX_OVERHEAD`; None without the
    traced row."""
    if not measured or TRACED_ROW not in measured[0]:
        return None
    ratios = [
        r[TRACED_ROW]["requests_per_s"] / max(r[UNTRACED_ROW]["requests_per_s"], 1.0)
        for r in measured
    ]
    median = statistics.median(ratios)
    return {
        "sample_ratio": SAMPLE_RATIO,
        "ratio": {
            "median": round(median, 3),
            "min": round(min(ratios), 3),
            "max": round(max(ratios), 3),
        },
        "overhead": round(1 - median, 3),
        "met": 1 - median <= MAX_OVERHEAD,
    }


def goal(figures: dict[str, Any]) -> dict[str, Any]:
    """The goal row of the report for `overhead(...)`'s figures."""
    return {
        "name": f"tracing on (ratio {figures['sample_ratio']:g}, OTLP to a local sink): "
        "predictions' req/s lost",
        "target": f"<= {MAX_OVERHEAD:.0%}",
        "measured": f"{figures['overhead']:.1%} (traced ÷ untraced {figures['ratio']['median']})",
        "met": figures["met"],
    }
