"""The GPU path against the CPU path, on a machine with a GPU: the prepared device check.

    cd apps/server && uv sync --extra gpu && PYTHONPATH=.. uv run python scripts/gpu_check.py

Trains a small model with the production pipeline, loads the stored version twice, on the
CPU and with `use_gpu` (CuPy), and checks: the GPU classifier really scores on `cuda`; its
probabilities match the CPU's within `--tolerance` (1e-5); texts per second in batches of
64 and 1024 on each device; and the NVML metrics the worker exports (`gpu_utilization_ratio`,
`gpu_memory_*_bytes`) are present. Prints a JSON report; exits 1 when a check fails (on a
machine without a GPU: the device check). Not a test: the suite stays on the CPU path.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest

from server.agents.artifacts.store import LocalArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.data.generator import generate_tickets
from server.agents.pipeline.run import RunConfig, run_training
from server.config import Settings
from server.worker.metrics_collectors import GpuCollector

BATCHES = (64, 1024)


def texts_per_second(classifier: TicketClassifier, texts: list[str], batch: int) -> float:
    classifier.predict_proba(texts[:batch])  # warm-up: kernels, caches
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        classifier.predict_proba(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


def gpu_metrics() -> list[str]:
    """The GPU metric lines the worker's collector exports here (none without NVML)."""
    registry = CollectorRegistry()
    registry.register(GpuCollector())
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if line.startswith("gpu_")]


def run(rows: int, texts_count: int, tolerance: float) -> tuple[dict[str, Any], list[str]]:
    config = RunConfig.from_settings(Settings())
    with tempfile.TemporaryDirectory() as root:
        store = LocalArtifactStore(Path(root))
        run_training(config, generate_tickets(rows, config.training.seed), store, version=1)
        cpu = TicketClassifier.load(store, config.model_name, 1, use_gpu=False)
        gpu = TicketClassifier.load(store, config.model_name, 1, use_gpu=True)
    texts = list(generate_tickets(texts_count, config.training.seed + 1).texts)
    difference = float(np.max(np.abs(gpu.predict_proba(texts) - cpu.predict_proba(texts))))
    metrics = gpu_metrics()
    report: dict[str, Any] = {
        "device": gpu.device,
        "texts": len(texts),
        "max_abs_probability_difference": difference,
        "tolerance": tolerance,
        "texts_per_second": {
            device: {f"batch_{b}": round(texts_per_second(c, texts, b)) for b in BATCHES}
            for device, c in (("cpu", cpu), (gpu.device, gpu))
        },
        "gpu_metrics": metrics,
    }
    failures = []
    if gpu.device != "cuda":
        failures.append(f"the GPU classifier scores on {gpu.device}, not cuda")
    if not difference <= tolerance:
        failures.append(f"GPU and CPU probabilities differ by {difference:.2e} > {tolerance}")
    if not any(line.startswith("gpu_utilization_ratio") for line in metrics):
        failures.append("no gpu_utilization_ratio from NVML")
    return report, failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="training rows")
    parser.add_argument("--texts", type=int, default=16_384, help="texts to score")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args(argv)
    report, failures = run(args.rows, args.texts, args.tolerance)
    report["failures"] = failures
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
