"""Targets of the serving benchmark and its Markdown page."""

from __future__ import annotations

from typing import Any

from server.scripts.bench.stages import STAGE_ORDER

# From the performance issue: goals on a 2-core machine, rate limits on, both credentials.
MIN_FLOOR_RATIO = 0.30
MAX_P99_MS = 50.0
MIN_BATCH_TEXTS_PER_S = 20_000.0
BATCH_JOB_TEXTS = 100_000
PREDICTIONS = ("predictions_token", "predictions_api_key")


def judge(summary: dict[str, Any], batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with its measured value (medians over the rounds) and `met` (None when it
    could not be measured)."""
    goals: list[dict[str, Any]] = []
    for name in (p for p in PREDICTIONS if p in summary):
        figures, kind = summary[name], name.removeprefix("predictions_").replace("_", " ")
        ratio, p99 = figures["ratio_floor"]["median"], figures["p99_ms"]["median"]
        goals += [
            {
                "name": f"predictions ({kind}) throughput vs the floor",
                "target": f">= {MIN_FLOOR_RATIO}x",
                "measured": ratio,
                "met": ratio >= MIN_FLOOR_RATIO,
            },
            {
                "name": f"predictions ({kind}) p99 latency",
                "target": f"<= {MAX_P99_MS:g} ms",
                "measured": p99,
                "met": p99 <= MAX_P99_MS,
            },
            {
                "name": f"predictions ({kind}) without errors or non-2xx",
                "target": "0",
                "measured": figures["failures"],
                "met": figures["failures"] == 0,
            },
        ]
    job_rate = batch.get("texts_per_s")
    goals.append(
        {
            "name": "100k-text batch job, end to end",
            "target": f">= {MIN_BATCH_TEXTS_PER_S:,.0f} texts/s",
            "measured": job_rate if job_rate is not None else batch.get("status"),
            # Judged on the full 100k only: a smaller job spends more of its time starting.
            "met": None
            if not batch.get("available") or batch.get("texts", 0) < BATCH_JOB_TEXTS
            else job_rate is not None and job_rate >= MIN_BATCH_TEXTS_PER_S,
        }
    )
    return goals


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def _range(spread: dict[str, float], fmt: str = "{:g}") -> str:
    low, mid, high = (fmt.format(spread[k]) for k in ("min", "median", "max"))
    return mid if low == high else f"{mid} ({low}-{high})"


def _row(label: str, f: dict[str, Any]) -> str:
    health = f.get("ratio_health")
    return (
        f"| {label} | {_range(f['requests_per_s'], '{:,.0f}')} | {_range(f['ratio_floor'])} "
        f"| {_range(health) if health else '-'} | {_range(f['p50_ms'])} | {_range(f['p99_ms'])} "
        f"| {_range(f['server_cpu_us'], '{:,.0f}')} | {f['requests']:,} | {f['failures']} |"
    )


CPU_ORDER = (
    "floor",
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


def _busy_warning(measured: list[dict[str, Any]]) -> list[str]:
    other = max(
        figures.get("cores", {}).get("other_programs", 0.0)
        for one_round in measured
        for figures in one_round.values()
    )
    if other < BUSY_MACHINE_CORES:
        return []
    return [
        "",
        f"**The machine was not quiet**: other programs used up to {other} cores during a "
        "measured window, so throughput is lower and tails are longer than on an idle machine.",
    ]


def _worker_lines(report: dict[str, Any]) -> list[str]:
    lines = ["", "## Worker share", ""]
    for name in PREDICTIONS:
        rows = [r[name] for r in report["rounds"] if name in r]
        if not rows:
            continue
        worker = rows[-1].get("worker", {})
        lines.append(
            f"- {report['endpoints'][name]}, last round: {worker.get('tasks', '?')} "
            f"`inference.predict` tasks, **{worker.get('texts_per_task', '?')} texts per "
            f"task**, {worker.get('mean_task_ms', '?')} ms per task in the worker, which is "
            f"**{worker.get('latency_share', '?')}** of the mean prediction latency "
            f"({rows[-1]['latency_ms']['mean']} ms); the worker was busy "
            f"{worker.get('busy_share', '?')} of the window. Mean wait per micro-batch in "
            f"the API: {_waits(worker.get('wait_ms', {}))}."
        )
    return lines


def _waits(waits: dict[str, float]) -> str:
    names = {"gather": "gathering", "publish": "publishing", "answer": "published to answered"}
    return ", ".join(f"{names.get(k, k)} {v} ms" for k, v in waits.items()) or "not exported"


def _stage_lines(profiles: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The API's CPU per request by stage, one column per profiled endpoint."""
    found = {name: p["stages"] for name, p in profiles.items() if "stages" in p}
    if not found:
        return []
    stages = [s for s in STAGE_ORDER if any(s in costs for costs in found.values())]
    lines = [
        "",
        "## API CPU per request, by stage (py-spy, an extra window per endpoint)",
        "",
        "Microseconds of the API process's CPU per answered request: each stage's share of "
        "py-spy's busy samples times the CPU per request the kernel counted in that window. "
        "Waits (the batching window, the worker, the broker) use no CPU here: they are the "
        "`wait per micro-batch` figures above.",
        "",
        "| stage | " + " | ".join(labels[name] for name in found) + " |",
        "|---|" + "---|" * len(found),
    ]
    for stage in [*stages, "total"]:
        cells = " | ".join(str(costs.get(stage, 0.0)) for costs in found.values())
        lines.append(f"| {stage} | {cells} |")
    return lines


def _profile_lines(profiles: dict[str, Any], top: int = 8) -> list[str]:
    lines: list[str] = []
    for endpoint, prof in profiles.items():
        if "self_time" not in prof:
            lines += ["", f"## Profile: {endpoint}: {prof.get('error', 'none')}"]
            continue
        lines += [
            "",
            f"## Profile: {endpoint} (under py-spy: "
            f"{prof['requests_per_s']:,.0f} req/s, p99 {prof['p99_ms']} ms)",
        ]
        for process, frames in prof["self_time"].items():
            lines += ["", f"{process}, self time of busy samples:", ""]
            lines += [f"- {share:.1%} `{frame}`" for frame, share in frames[:top]]
    return lines


def _batch_lines(batch: dict[str, Any]) -> list[str]:
    lines = ["", f"## Batch job ({batch.get('texts', 0):,} texts)", ""]
    if not batch.get("available"):
        return [
            *lines,
            f"{batch.get('status', 'not available yet')}: `POST /api/v1/jobs` "
            f"answered {batch.get('submit_status')}.",
        ]
    rate = batch.get("texts_per_s")
    return [
        *lines,
        f"{batch['texts']:,} texts ({batch['body_bytes'] / 2**20:.1f} MiB of JSON) in one "
        f"`POST /api/v1/jobs`, polled until done: status {batch['status']} after "
        f"{batch.get('seconds')} s (the upload took {batch['submit_s']} s): "
        f"**{f'{rate:,.0f}' if rate else '-'} texts/s** end to end.",
        "",
        _cpu_line("while the job ran", batch.get("cores", {})),
    ]


def render_markdown(report: dict[str, Any]) -> str:
    m, c, load = report["machine"], report["config"], report["load"]
    summary, labels = report["summary"], report["endpoints"]
    last = report["rounds"][-1]
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
        f"{c['batch_max_in_flight']} tasks in flight per API process. Rate limits "
        f"{'on' if c.get('rate_limit_enabled') else 'off'} (a quota no run reaches). The "
        "floor is a bare FastAPI app with one `GET` route under one uvicorn worker.",
        "",
        f"Load: `{load['client']}` ({load['client_threads']} thread(s)), "
        f"{load['connections']} connections, {load['warmup_s']:g} s warm-up then "
        f"{load['duration_s']:g} s measured per endpoint, in {load['rounds']} interleaved "
        f"round(s); ratios are paired within each round, then the median is shown with the "
        f"range over the rounds in brackets. {load['note']}",
        "",
        "| what | req/s | ÷ floor | ÷ /health | p50 ms | p99 ms | server CPU µs/req "
        "| requests | failures |",
        "|---|---|---|---|---|---|---|---|---|",
        *(_row(labels[name], figures) for name, figures in summary.items()),
        "",
        "CPU used during each measured window of the last round (average cores; the load "
        "client is on the same machine):",
        "",
        *(_cpu_line(labels[name], last[name].get("cores", {})) for name in last),
        *_busy_warning(report["rounds"]),
        *_worker_lines(report),
        *_batch_lines(report["batch_job"]),
        *_stage_lines(report["profiles"], labels),
        *_profile_lines(report["profiles"]),
        "",
        "## Goals",
        "",
        "| goal | target | measured | verdict |",
        "|---|---|---|---|",
    ]
    for t in report["targets"]:
        measured = t["measured"]
        if isinstance(measured, float) and measured >= 1000:
            measured = f"{measured:,.0f}"
        lines.append(f"| {t['name']} | {t['target']} | {measured} | {_verdict(t['met'])} |")
    lines += ["", "A benchmark, not a test: figures move with the machine and its load.", ""]
    return "\n".join(lines)
