"""Benchmark of the serving stack: sync predictions against `/health`, and a batch job.

    cd apps/server && PYTHONPATH=.. uv run python scripts/bench_serving.py [--duration 15]

Starts everything on this machine's PostgreSQL and Redis: a fresh database `bench_<random>`
(dropped at the end) and Redis database 14 (flushed before and after; no other database is
touched), migrations, a trained and promoted model, one Celery worker and the API. Then it
drives `GET /health` and `POST /api/v1/predictions` (one text each) with 64 connections from
a separate process (`wrk` when installed, else `scripts/bench/httpload.py`), reads the
worker's task counter for texts per task, runs a 100k-text batch job when `/api/v1/jobs`
exists, and writes `bench-serving.json` and `bench-serving.md` to `--out-dir`.

Process layout for 2 cores (defaults): 1 API process and a worker with 1 pool process,
consuming every CPU queue but training (so the batch queue too). Measured on an idle 2-core
machine: a second API process raised predictions 1,110 -> 1,790 req/s but `/health` more
(4,900 -> 9,800), so the ratio the target is about fell 0.23 -> 0.18, and it halved the
texts per task (each API process batches on its own). One pool process scores a batch of
~30 texts in ~3-4 ms and stays under 20 % busy at this load. Try other layouts with
`--api-workers` and `--worker-concurrency`.

The load client runs on the same cores as the stack; its CPU and that of every other program
are reported next to the figures. `--profile` adds one more window per endpoint under
py-spy (not a project dependency; install it anywhere). `--tracing` adds the predictions row
once more against a second API with tracing on at the default ratio, exporting to a local
OTLP sink, and reports the traced/untraced req/s ratio (`scripts/bench/tracing.py`). A
benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from unittest import mock

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.agents.data.generator import generate_tickets
from server.config import SERVER_DIR, Settings
from server.scripts.bench import (
    cpu,
    jobs,
    load,
    profile,
    report,
    rounds,
    stack,
    stages,
    tracing,
)
from server.taskqueue.names import ALL_QUEUES, INFERENCE_GPU, PREDICT_TASK, TRAINING

REPO_ROOT = SERVER_DIR.parent.parent
# Every CPU queue but training: a queue added for batch jobs is consumed without a change.
DEFAULT_QUEUES = ",".join(q for q in ALL_QUEUES if q not in {TRAINING, INFERENCE_GPU})
PREDICTION_TEXTS = 32  # distinct request bodies, in rotation
TEXT_SEED = 20_240_601
PREDICT_PATH = "/api/v1/predictions"
FLOOR_TARGET = load.Target("floor", "GET", "/")
HEALTH_TARGET = load.Target("health", "GET", "/health")
SERVER_SESSIONS = {rounds.FLOOR: "floor", tracing.TRACED_ROW: tracing.SESSION}
"""The process that serves a row, when it is not the API."""


def worker_task_stats(metrics_url: str) -> dict[str, float]:
    """Finished `inference.predict` tasks and their summed run time, from the worker."""
    text = httpx.get(metrics_url, timeout=5).text
    stats = {"tasks": 0.0, "seconds": 0.0}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("task") != PREDICT_TASK:
                continue
            if s.name == "worker_tasks_total":
                stats["tasks"] += s.value
            elif s.name == "worker_task_duration_seconds_sum":
                stats["seconds"] += s.value
    return stats


def api_wait_stats(base_url: str) -> dict[str, float]:
    """Per stage of a prediction's wait (`inference_stage_seconds`), its count and sum."""
    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    stats: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "inference_stage_seconds":
            continue
        for s in family.samples:
            stage = s.labels.get("stage", "")
            if s.name.endswith("_sum"):
                stats[f"{stage}_s"] = stats.get(f"{stage}_s", 0.0) + s.value
            elif s.name.endswith("_count"):
                stats[f"{stage}_n"] = stats.get(f"{stage}_n", 0.0) + s.value
    return stats


def wait_stages(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Mean milliseconds per micro-batch in each stage over a window."""
    means: dict[str, float] = {}
    for stage in ("gather", "publish", "answer"):
        count = after.get(f"{stage}_n", 0.0) - before.get(f"{stage}_n", 0.0)
        seconds = after.get(f"{stage}_s", 0.0) - before.get(f"{stage}_s", 0.0)
        if count:
            means[stage] = round(seconds / count * 1000, 2)
    return means


def measure(
    running: stack.Stack,
    endpoint: rounds.Endpoint,
    sessions: dict[str, int],
    args: argparse.Namespace,
    *,
    client: str,
    work: Path,
) -> dict[str, Any]:
    """Warm up, then the measured run, with CPU per component and the worker's counters."""
    target, url = endpoint.target, endpoint.base_url
    common = {"connections": args.connections, "threads": args.client_threads, "work_dir": work}
    if args.warmup > 0:
        load.run_load(client, url, target, seconds=args.warmup, **common)
    tasks_before = worker_task_stats(running.worker_metrics_url)
    waits_before = api_wait_stats(running.base_url)
    cpu_before, started = cpu.sample(sessions), time.monotonic()
    figures = load.run_load(client, url, target, seconds=args.duration, **common)
    cpu_after, elapsed = cpu.sample(sessions), time.monotonic() - started
    tasks_after = worker_task_stats(running.worker_metrics_url)
    waits = wait_stages(waits_before, api_wait_stats(running.base_url))
    cores = cpu.cores_used(cpu_before, cpu_after, elapsed)
    if cores:
        cores["load_client"] = round(figures["client_cpu_s"] / elapsed, 2)
        # The server's own CPU per answer: steadier than req/s on a machine others share.
        server = cores[SERVER_SESSIONS.get(endpoint.name, "api")]
        figures["server_cpu_us"] = round(server * elapsed / max(figures["requests"], 1) * 1e6)
    figures["cores"] = cores
    tasks = tasks_after["tasks"] - tasks_before["tasks"]
    if target.bodies:
        seconds = tasks_after["seconds"] - tasks_before["seconds"]
        mean_task_ms = seconds / tasks * 1000 if tasks else None
        figures["worker"] = {
            "tasks": int(tasks),
            "texts_per_task": round(figures["requests"] / tasks, 1) if tasks else None,
            "mean_task_ms": round(mean_task_ms, 2) if mean_task_ms else None,
            "busy_share": round(seconds / elapsed, 2),
            # Mean per micro-batch, from the API's `inference_stage_seconds`.
            "wait_ms": waits,
            # Of a prediction's latency, the share its batch spent being scored.
            "latency_share": round(mean_task_ms / figures["latency_ms"]["mean"], 3)
            if mean_task_ms and figures["latency_ms"]["mean"]
            else None,
        }
    return figures


def profiled_run(
    running: stack.Stack,
    endpoint: rounds.Endpoint,
    args: argparse.Namespace,
    *,
    client: str,
    work: Path,
) -> dict[str, Any]:
    """One more window under py-spy (its figures are perturbed, so kept apart)."""
    common = {"connections": args.connections, "threads": args.client_threads}
    target, seconds, sessions = endpoint.target, args.duration, running.pids()
    with profile.recording(sessions, seconds, args.out_dir, endpoint.name) as files:
        if not files:
            return {"error": "py-spy not found on PATH"}
        before, started = cpu.sample(sessions), time.monotonic()
        figures = load.run_load(
            client, endpoint.base_url, target, seconds=seconds, work_dir=work, **common
        )
        cores = cpu.cores_used(before, cpu.sample(sessions), time.monotonic() - started)
    api_cpu_us = cores.get("api", 0.0) * seconds / max(figures["requests"], 1) * 1e6
    return {
        "requests_per_s": figures["requests_per_s"],
        "p99_ms": figures["latency_ms"]["p99"],
        "files": [path.name for path in files.values()],
        "self_time": {name: profile.hottest(path) for name, path in files.items()},
        "stages": stages.per_request(files["api"], api_cpu_us),
    }


def run_batch_job(
    running: stack.Stack, texts: list[str], auth: dict[str, str], timeout_s: float
) -> dict[str, Any]:
    """The batch job phase, with the CPU each component used while it ran."""
    if not texts:
        return {"available": False, "status": "skipped (--job-texts 0)"}
    sessions = running.pids()
    before, started = cpu.sample(sessions), time.monotonic()
    result = jobs.run_job(running.base_url, texts, auth=auth, timeout_s=timeout_s)
    result["cores"] = cpu.cores_used(before, cpu.sample(sessions), time.monotonic() - started)
    return result


def effective_settings(env: dict[str, str]) -> Settings:
    """The settings the API and worker run with: their environment, then `.env`."""
    app_env = {k: v for k, v in env.items() if k.startswith("APP_")}
    with mock.patch.dict(os.environ, app_env):
        return Settings(_env_file=SERVER_DIR / ".env")


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else model
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpus": len(affinity(0)) if affinity else os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


BENCH_EMAIL = "bench@example.com"
# A throwaway stack of its own, gone when the run ends.
BENCH_PASSWORD = "Bench-Runner-Password-1"  # noqa: S105  # nosec B105


def sign_in(base_url: str) -> dict[str, str]:
    """The bench user's bearer header, from a real sign-in (every scope: a superuser)."""
    response = httpx.post(
        f"{base_url}/api/v1/auth/token",
        data={"username": BENCH_EMAIL, "password": BENCH_PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def api_key(base_url: str, auth: dict[str, str]) -> dict[str, str]:
    """The header of a new API key with the `predict` scope, as a machine client holds."""
    response = httpx.post(
        f"{base_url}/api/v1/api-keys",
        json={"name": "bench", "scopes": ["predict"]},
        headers=auth,
        timeout=30,
    )
    response.raise_for_status()
    return {"X-API-Key": response.json()["key"]}


def endpoints(
    running: stack.Stack, floor: stack.Stack, credentials: dict[str, dict[str, str]]
) -> list[rounds.Endpoint]:
    """The floor, `/health`, and predictions once per kind of credential."""
    texts = list(generate_tickets(PREDICTION_TEXTS, TEXT_SEED).texts)
    bodies = tuple(json.dumps({"texts": [text]}) for text in texts)
    rows = [
        rounds.Endpoint(rounds.FLOOR, "bare FastAPI GET (floor)", floor.base_url, FLOOR_TARGET),
        rounds.Endpoint(rounds.HEALTH, "GET /health", running.base_url, HEALTH_TARGET),
    ]
    for kind, headers in credentials.items():
        target = load.Target(
            f"predictions_{kind}", "POST", PREDICT_PATH, bodies, tuple(headers.items())
        )
        label = f"POST {PREDICT_PATH} (1 text, {kind.replace('_', ' ')})"
        rows.append(rounds.Endpoint(target.name, label, running.base_url, target))
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    client = load.client_name(args.python_client)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp, contextlib.ExitStack() as up:
        sink = up.enter_context(tracing.otlp_sink(Path(tmp))) if args.tracing else None
        config = stack.StackConfig(
            postgres_admin_url=args.postgres,
            redis_url=args.redis,
            api_workers=args.api_workers,
            worker_concurrency=args.worker_concurrency,
            worker_queues=args.worker_queues,
            train_rows=args.train_rows,
            state_dir=Path(tmp),
            # A real user to sign in as: tokens of no user are refused. The API traces
            # nothing, whatever this shell says; with --tracing the worker does.
            extra_env={
                "APP_FIRST_SUPERUSER_EMAIL": BENCH_EMAIL,
                "APP_FIRST_SUPERUSER_PASSWORD": BENCH_PASSWORD,
                "APP_TRACING_OTLP_ENDPOINT": "",
            },
            worker_env={"APP_TRACING_OTLP_ENDPOINT": sink} if sink else {},
        )
        log(f"starting the stack in {tmp} (migrate, train {args.train_rows:,} rows, worker, api)")
        running = up.enter_context(stack.serving_stack(config))
        floor = up.enter_context(stack.floor_server(Path(tmp)))
        traced = up.enter_context(tracing.traced_api(running, sink, Path(tmp))) if sink else None
        settings = effective_settings(running.env)
        auth = sign_in(running.base_url)
        rows = endpoints(
            running, floor, {"token": auth, "api_key": api_key(running.base_url, auth)}
        )
        sessions = {**running.pids(), **floor.pids()}
        if traced is not None:
            # Right after the untraced predictions row in every round.
            untraced = next(i for i, row in enumerate(rows) if row.name == tracing.UNTRACED_ROW)
            rows.insert(untraced + 1, tracing.traced_row(rows, traced))
            sessions |= traced.pids()

        def measure_row(row: rounds.Endpoint) -> dict[str, Any]:
            on = traced if traced is not None and row.name == tracing.TRACED_ROW else running
            return measure(on, row, sessions, args, client=client, work=Path(tmp))

        measured = rounds.run_rounds(rows, args.rounds, measure_row, log)
        profiles = {
            row.name: profiled_run(running, row, args, client=client, work=Path(tmp))
            for row in rows
            if args.profile and row.target.bodies and row.name != tracing.TRACED_ROW
        }
        log(f"batch job of {args.job_texts:,} texts")
        job_texts = (
            []
            if args.job_texts == 0
            else list(generate_tickets(args.job_texts, TEXT_SEED + 1).texts)
        )
        batch = run_batch_job(running, job_texts, auth, args.job_timeout)
        version = re.search(r"registered version (\d+)", running.train_output)
    summary = rounds.summarize(measured)
    traced_figures = tracing.overhead(measured)
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "api_workers": args.api_workers,
            "worker_concurrency": args.worker_concurrency,
            "worker_pool": "prefork",
            "worker_queues": args.worker_queues,
            "batch_window_ms": settings.batch_window_ms,
            "batch_max_texts": settings.batch_max_texts,
            "batch_max_in_flight": settings.batch_max_in_flight,
            "predict_timeout_s": settings.predict_timeout_s,
            "rate_limit_enabled": settings.rate_limit_enabled,
            "train_rows": args.train_rows,
            "model_version": int(version.group(1)) if version else None,
        },
        "load": {
            "client": client,
            "client_threads": args.client_threads if client == "wrk" else 1,
            "connections": args.connections,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "note": "The load client shares the machine's cores with the stack; its CPU is "
            "listed as load_client below.",
        },
        "endpoints": {row.name: row.label for row in rows},
        "rounds": measured,
        "summary": summary,
        "profiles": profiles,
        "batch_job": batch,
        "tracing": traced_figures,
        "targets": report.judge(summary, batch)
        + ([tracing.goal(traced_figures)] if traced_figures else []),
    }


def log(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # Like Ctrl-C: unwinds through the context managers (processes stopped, database dropped).
    raise KeyboardInterrupt


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--duration", type=float, default=15, help="measured seconds per endpoint")
    add("--warmup", type=float, default=3, help="warm-up seconds per endpoint")
    add("--connections", type=int, default=64)
    add("--client-threads", type=int, default=1, help="wrk threads")
    add("--python-client", action="store_true", help="use bench/httpload.py even with wrk")
    add("--rounds", type=int, default=3, help="interleaved rounds over every endpoint")
    add("--profile", action="store_true", help="one more window per endpoint under py-spy")
    add(
        "--tracing",
        action="store_true",
        help="add the predictions row against a second API tracing at the default ratio "
        "into a local OTLP sink, and report traced/untraced req/s",
    )
    add("--api-workers", type=int, default=1, help="uvicorn worker processes")
    add("--worker-concurrency", type=int, default=1, help="Celery prefork processes")
    add("--worker-queues", default=DEFAULT_QUEUES)
    add("--train-rows", type=int, default=20_000)
    add("--job-texts", type=int, default=report.BATCH_JOB_TEXTS, help="0 skips the batch job")
    add("--job-timeout", type=float, default=300)
    add(
        "--postgres",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        help="admin URL; the benchmark database is created next to it",
    )
    add("--redis", default="redis://127.0.0.1:6379/14", help="flushed before and after")
    add("--out-dir", type=Path, default=REPO_ROOT / "reports")
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= 1024 or args.duration <= 0 or args.duration > 600:
        parser.error("--connections must be 1-1024 and --duration 0-600 s")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be 1-20")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        result = run(args)
    except stack.StackError as exc:
        log(f"the stack did not come up: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted; every process was stopped and the database dropped")
        return 130
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "bench-serving.json").write_text(json.dumps(result, indent=2) + "\n")
    markdown = report.render_markdown(result)
    (args.out_dir / "bench-serving.md").write_text(markdown, "utf-8")
    sys.stdout.write(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
