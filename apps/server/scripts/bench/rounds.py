"""Interleaved rounds of the serving benchmark, and figures paired within each round.

Each round measures every endpoint once, one after the other, so that a machine that gets
busier or quieter during the run moves all of them alike; each endpoint's throughput is then
divided by the floor's *of the same round* and the ratios summarized over the rounds.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from server.scripts.bench import load

FLOOR = "floor"
HEALTH = "health"


@dataclass(frozen=True)
class Endpoint:
    """One row of the benchmark: a target on a server."""

    name: str
    label: str
    base_url: str
    target: load.Target


def run_rounds(
    endpoints: Sequence[Endpoint],
    rounds: int,
    measure: Callable[[Endpoint], dict[str, Any]],
    log: Callable[[str], None],
) -> list[dict[str, dict[str, Any]]]:
    """`rounds` rounds, each measuring every endpoint once, in order."""
    measured: list[dict[str, dict[str, Any]]] = []
    for number in range(1, rounds + 1):
        figures: dict[str, dict[str, Any]] = {}
        for endpoint in endpoints:
            log(f"round {number}/{rounds}: {endpoint.label}")
            figures[endpoint.name] = measure(endpoint)
        measured.append(figures)
    return measured


def _spread(values: Sequence[float], digits: int) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def summarize(measured: Sequence[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per endpoint: throughput, ratios to the floor and to `/health` paired within each
    round, latency percentiles, and failures summed over the rounds."""
    summary: dict[str, dict[str, Any]] = {}
    for name in measured[0]:
        rows = [r[name] for r in measured]
        rps = [row["requests_per_s"] for row in rows]
        floor = [r[FLOOR]["requests_per_s"] for r in measured]
        health = [r[HEALTH]["requests_per_s"] for r in measured] if HEALTH in measured[0] else []
        summary[name] = {
            "requests_per_s": _spread(rps, 1),
            "ratio_floor": _spread([v / max(f, 1.0) for v, f in zip(rps, floor, strict=True)], 3),
            "p50_ms": _spread([row["latency_ms"]["p50"] for row in rows], 2),
            "p99_ms": _spread([row["latency_ms"]["p99"] for row in rows], 2),
            "server_cpu_us": _spread([row.get("server_cpu_us", 0) for row in rows], 0),
            "requests": sum(row["requests"] for row in rows),
            "failures": sum(row["non_2xx"] + row["errors"] for row in rows),
        }
        if health:
            ratios = [v / max(h, 1.0) for v, h in zip(rps, health, strict=True)]
            summary[name]["ratio_health"] = _spread(ratios, 3)
    return summary
