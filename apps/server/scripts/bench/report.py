"""Targets of the serving benchmark and its Markdown page."""

from __future__ import annotations

from typing import Any

# From the serving issue: targets on a 2-core machine.
MIN_RATIO = 0.25
MAX_P99_MS = 50.0
MIN_BATCH_TEXTS_PER_S = 10_000.0
BATCH_JOB_TEXTS = 100_000


def judge(results: dict[str, Any], batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and `met` (None when it could not be measured)."""
    health, predictions = results["health"], results["predictions"]
    ratio = predictions["requests_per_s"] / max(health["requests_per_s"], 1)
    failures = predictions["non_2xx"] + predictions["errors"]
    job_rate = batch.get("texts_per_s")
    return [
        {
            "name": "predictions throughput vs /health",
            "target": f">= {MIN_RATIO}x",
            "measured": round(ratio, 3),
            "met": ratio >= MIN_RATIO,
        },
        {
            "name": "predictions p99 latency",
            "target": f"<= {MAX_P99_MS:g} ms",
            "measured": predictions["latency_ms"]["p99"],
            "met": predictions["latency_ms"]["p99"] <= MAX_P99_MS,
        },
        {
            "name": "predictions without errors or non-2xx",
            "target": "0",
            "measured": failures,
            "met": failures == 0,
        },
        {
            "name": "100k-text batch job, end to end",
            "target": f">= {MIN_BATCH_TEXTS_PER_S:,.0f} texts/s",
            "measured": job_rate if job_rate is not None else batch.get("status"),
            # Judged on the full 100k only: a smaller job spends more of its time starting.
            "met": None
            if not batch.get("available") or batch.get("texts", 0) < BATCH_JOB_TEXTS
            else job_rate is not None and job_rate >= MIN_BATCH_TEXTS_PER_S,
        },
    ]


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def _row(name: str, f: dict[str, Any]) -> str:
    lat = f["latency_ms"]
    return (
        f"| {name} | {f['requests_per_s']:,.0f} | {lat['p50']} | {lat['p95']} | {lat['p99']} "
        f"| {lat['max']} | {f['requests']:,} | {f['non_2xx']} | {f['errors']} |"
    )


CPU_ORDER = (
    "api",
    "worker",
    "redis",
    "postgres",
    "load_client",
    "bench_script",
    "other_programs",
)
BUSY_MACHINE_CORES = 0.25


def _cpu_line(name: str, cpu: dict[str, float]) -> str:
    if not cpu:
        return f"- {name}: (no /proc on this platform)"
    parts = ", ".join(f"{k} {cpu[k]}" for k in CPU_ORDER if k in cpu)
    return f"- {name}: {parts}; whole machine {cpu.get('machine_total')}"


def _busy_warning(results: dict[str, Any]) -> list[str]:
    other = max(r.get("cores", {}).get("other_programs", 0.0) for r in results.values())
    if other < BUSY_MACHINE_CORES:
        return []
    return [
        "",
        f"**The machine was not quiet**: other programs used up to {other} cores during a "
        "measured window, so throughput is lower and tails are longer than on an idle machine.",
    ]


def _profile_lines(results: dict[str, Any], top: int = 8) -> list[str]:
    lines: list[str] = []
    for endpoint, figures in results.items():
        prof = figures.get("profile")
        if not prof or "self_time" not in prof:
            continue
        lines += [
            "",
            f"## Profile: {endpoint} (an extra window under py-spy: "
            f"{prof['requests_per_s']:,.0f} req/s, p99 {prof['p99_ms']} ms)",
        ]
        for process, frames in prof["self_time"].items():
            lines += ["", f"{process}, self time of busy samples:", ""]
            lines += [f"- {share:.1%} `{frame}`" for frame, share in frames[:top]]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    m, c, load, res = report["machine"], report["config"], report["load"], report["results"]
    pred = res["predictions"]
    worker = pred.get("worker", {})
    batch = report["batch_job"]
    lines = [
        "# Serving benchmark",
        "",
        f"{report['created_at']}; {m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}, "
        f"{m['platform']}.",
        "",
        f"Stack: PostgreSQL and Redis on this machine; API `python -m server api` with "
        f"{c['api_workers']} uvicorn worker(s); Celery worker `--concurrency "
        f"{c['worker_concurrency']}` (prefork) on `{c['worker_queues']}`; model version "
        f"{c.get('model_version')} trained on {c['train_rows']:,} generated tickets. Batching: "
        f"window {c['batch_window_ms']} ms, up to {c['batch_max_texts']} texts, "
        f"{c['batch_max_in_flight']} tasks in flight per API process.",
        "",
        f"Load: `{load['client']}` ({load['client_threads']} thread(s)), "
        f"{load['connections']} connections, {load['warmup_s']:g} s warm-up then "
        f"{load['duration_s']:g} s measured per endpoint, one after the other, closed loop. "
        f"{load['note']}",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | max ms | requests | non-2xx | errors |",
        "|---|---|---|---|---|---|---|---|---|",
        _row("GET /health", res["health"]),
        _row("POST /api/v1/predictions (1 text)", pred),
        "",
        f"Predictions / health throughput: **{report['ratio']:.3f}x**.",
        "",
        f"Worker: {worker.get('tasks', '?')} `inference.predict` tasks for "
        f"{pred['requests']:,} answered requests: **{worker.get('texts_per_task', '?')} texts "
        f"per task**; mean task time in the worker {worker.get('mean_task_ms', '?')} ms.",
        "",
        "CPU used during each measured window (average cores; the load client is on the "
        "same machine):",
        "",
        _cpu_line("GET /health", res["health"].get("cores", {})),
        _cpu_line("POST /api/v1/predictions", pred.get("cores", {})),
        *_busy_warning(res),
        "",
        f"## Batch job ({batch.get('texts', 0):,} texts)",
        "",
    ]
    if not batch.get("available"):
        lines.append(
            f"{batch.get('status', 'not available yet')}: `POST /api/v1/jobs` "
            f"answered {batch.get('submit_status')}."
        )
    else:
        rate = batch.get("texts_per_s")
        lines += [
            f"{batch['texts']:,} texts ({batch['body_bytes'] / 2**20:.1f} MiB of JSON) in one "
            f"`POST /api/v1/jobs`, polled until done: status {batch['status']} after "
            f"{batch.get('seconds')} s (the upload took {batch['submit_s']} s): "
            f"**{f'{rate:,.0f}' if rate else '-'} texts/s** end to end.",
            "",
            _cpu_line("while the job ran", batch.get("cores", {})),
        ]
    lines += _profile_lines(res)
    lines += ["", "## Targets", "", "| target | goal | measured | verdict |", "|---|---|---|---|"]
    for t in report["targets"]:
        measured = t["measured"]
        if isinstance(measured, float) and measured >= 1000:
            measured = f"{measured:,.0f}"
        lines.append(f"| {t['name']} | {t['target']} | {measured} | {_verdict(t['met'])} |")
    lines += ["", "A benchmark, not a test: figures move with the machine and its load.", ""]
    return "\n".join(lines)
