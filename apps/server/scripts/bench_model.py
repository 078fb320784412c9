"""Benchmark of the ticket classifier: training time and scoring throughput.

    cd apps/server && PYTHONPATH=.. uv run python scripts/bench_model.py [--rows 50000]

Trains on generated tickets with `run_training` (the production pipeline), loads the stored
version like serving does, and measures texts per second in batches of 1, 8, 64 and 512
(the sizes a worker sees), for the runtime (`TicketClassifier`) and, for comparison, the
scikit-learn pipeline it was exported from, and the time per batch and per text. Pinned to
one CPU core by default: that is what one worker process gets. Writes `bench-model.json`
and `bench-model.md` to `--out-dir`. A benchmark, not a test: numbers vary with the
machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import structlog
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from server.agents.artifacts.store import LocalArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.data.generator import generate_tickets
from server.agents.pipeline.run import RunConfig, run_training
from server.agents.training.model import fit_model
from server.agents.training.split import split_dataset
from server.config import SERVER_DIR, Settings

# The worker scores micro-batches: one request's text, a few, a busy API's, a batch job's.
BATCH_SIZES = (1, 8, 64, 512)
# Batch size 1 is slow by nature; it is measured on a prefix to keep the run short.
SINGLE_TEXTS = 2000


def _throughput(score: Callable[[list[str]], object], texts: list[str], batch: int) -> float:
    """Texts per second scoring `texts` in consecutive batches of `batch`."""
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        score(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


def _measure(
    score: Callable[[list[str]], object], texts: list[str], repeats: int
) -> dict[str, float]:
    score(texts[:64])  # warm-up: caches, lazy imports
    results: dict[str, float] = {}
    for batch in BATCH_SIZES:
        sample = texts[:SINGLE_TEXTS] if batch == 1 else texts
        runs = [_throughput(score, sample, batch) for _ in range(repeats)]
        results[f"batch_{batch}"] = round(statistics.median(runs))
    return results


def _pin_to_one_core() -> str:
    """Pin the process to one core, and its BLAS pool to one thread: numpy started its
    pool before the pinning, and two spinning BLAS threads on one core slow it down."""
    threadpool_limits(limits=1)
    if not hasattr(os, "sched_setaffinity"):
        return "one BLAS thread, not pinned (no sched_setaffinity on this platform)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU {core}, one BLAS thread"


def run_benchmark(rows: int, eval_texts: int, repeats: int, use_gpu: bool) -> dict[str, Any]:
    """Train, load and measure; returns the report as a JSON-ready dict."""
    settings = Settings()
    config = RunConfig.from_settings(settings)
    data = generate_tickets(rows, config.training.seed)
    stages: dict[str, float] = {}
    current, since = "", time.perf_counter()

    def on_progress(_fraction: float, stage: str) -> None:
        # Time since the previous report belongs to the stage that report started.
        nonlocal current, since
        now = time.perf_counter()
        if current:
            stages[current] = round(stages.get(current, 0.0) + now - since, 3)
        current, since = stage, now

    with tempfile.TemporaryDirectory() as root:
        store = LocalArtifactStore(Path(root))
        result = run_training(config, data, store, version=1, on_progress=on_progress)
        runtime = TicketClassifier.load(store, config.model_name, 1, use_gpu=use_gpu)

    # The scikit-learn pipeline of the same run (training is deterministic).
    tc = config.training
    split = split_dataset(data, tc.holdout_fraction, tc.calibration_fraction, tc.seed)
    fit_started = time.perf_counter()
    train, calibration = data.take(split.train.tolist()), data.take(split.calibration.tolist())
    trained = fit_model(train, calibration, tc, config.max_text_chars)
    fit_seconds = time.perf_counter() - fit_started

    texts = list(generate_tickets(eval_texts, tc.seed + 1).texts)
    parity = float(np.max(np.abs(runtime.predict_proba(texts) - trained.predict_proba(texts))))
    return {
        "created_at": datetime.now(UTC).isoformat(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit_learn": sklearn.__version__,
            "cpus_visible": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
        },
        "training": {
            "rows": rows,
            "run_training_seconds": round(result.duration_s, 2),
            "fit_and_calibrate_seconds": round(fit_seconds, 2),
            "stages_seconds": stages,
            "features": len(runtime.model.vocabulary),
            "macro_f1": round(result.metrics.macro_f1, 4),
            "macro_auc": round(result.metrics.macro_auc, 4),
            "gates_passed": result.passed,
        },
        "scoring": {
            "texts": len(texts),
            "mean_text_chars": round(float(np.mean([len(t) for t in texts])), 1),
            "device": runtime.device,
            "parity_max_abs_diff": parity,
            "items_per_second": {
                "runtime_predict": _measure(runtime.predict, texts, repeats),
                "runtime_predict_proba": _measure(runtime.predict_proba, texts, repeats),
                "sklearn_predict_proba": _measure(trained.predict_proba, texts, repeats),
            },
        },
    }


def render_markdown(report: dict[str, Any], pinning: str) -> str:
    """The report as a short Markdown page."""
    t, s = report["training"], report["scoring"]
    lines = [
        "# Model benchmark",
        "",
        f"{report['created_at']}, {report['machine']['platform']}, Python "
        f"{report['machine']['python']}, {pinning}.",
        "",
        f"Training on {t['rows']} generated tickets: `run_training` (validate, fit, calibrate, "
        f"evaluate, package, load back, gates) took {t['run_training_seconds']} s; fitting and "
        f"calibrating alone {t['fit_and_calibrate_seconds']} s. {t['features']} features, "
        f"macro-F1 {t['macro_f1']}, macro AUC {t['macro_auc']}, gates passed: "
        f"{t['gates_passed']}.",
        "",
        f"Scoring {s['texts']} texts (mean {s['mean_text_chars']} characters) on "
        f"`{s['device']}`; runtime vs scikit-learn max probability difference "
        f"{s['parity_max_abs_diff']:.1e}.",
        "",
        "| texts/s | " + " | ".join(f"batch {b}" for b in BATCH_SIZES) + " |",
        "|---|" + "---|" * len(BATCH_SIZES),
    ]
    for name, values in s["items_per_second"].items():
        cells = " | ".join(f"{values[f'batch_{b}']:,}" for b in BATCH_SIZES)
        lines.append(f"| {name} | {cells} |")
    rates = s["items_per_second"]["runtime_predict"]
    lines += [
        "",
        "What a worker spends scoring one batch with `runtime_predict` (what the inference "
        "task calls), from the rates above:",
        "",
        "| batch size | ms per batch | µs per text |",
        "|---|---|---|",
        *(
            f"| {b} | {b / rates[f'batch_{b}'] * 1000:.3f} | {1e6 / rates[f'batch_{b}']:.1f} |"
            for b in BATCH_SIZES
        ),
        "",
        "`runtime_predict` builds a `Prediction` (label, probabilities, version) per text; "
        "`runtime_predict_proba` returns the probability matrix only.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write its reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="training rows")
    parser.add_argument("--eval-texts", type=int, default=16_384, help="texts to score")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement")
    parser.add_argument("--out-dir", type=Path, default=SERVER_DIR.parent.parent / "reports")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    parser.add_argument("--gpu", action="store_true", help="score on a GPU if available")
    args = parser.parse_args(argv)
    pinning = "all cores" if args.all_cores else _pin_to_one_core()
    report = run_benchmark(args.rows, args.eval_texts, args.repeats, args.gpu)
    report["machine"]["pinning"] = pinning
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "bench-model.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    markdown = render_markdown(report, pinning)
    (args.out_dir / "bench-model.md").write_text(markdown, "utf-8")
    sys.stdout.write(markdown)
    return 0


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    raise SystemExit(main())
