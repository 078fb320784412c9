"""Served traffic of a model over time: predictions per minute, latency percentiles and the
share each version answered, in at most `MAX_STEPS` steps of one window."""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server.core.ml_metrics import INFERENCE_BUCKETS
from server.database import prediction_stats
from server.database.base import utcnow

MAX_STEPS = 60
"""Points per series: the window is cut into this many steps (one minute for an hour)."""
LATENCY_EDGES_MS: tuple[float, ...] = tuple(edge * 1000 for edge in INFERENCE_BUCKETS)
"""The latency bands, the inference histogram's own buckets (in milliseconds)."""
QUANTILES = (0.5, 0.95, 0.99)


@dataclass(frozen=True)
class TrafficStep:
    start: datetime
    predictions: int
    by_version: dict[int, int]
    latency_ms: dict[float, float] | None  # quantile -> estimate; None without predictions


@dataclass(frozen=True)
class TrafficSeries:
    model: str
    window_start: datetime
    window_end: datetime
    step_s: int
    steps: list[TrafficStep]


def quantile(q: float, counts: Sequence[int], edges: Sequence[float]) -> float:
    """The q-quantile of values counted in bands `(edges[i-1], edges[i]]` (and one band above
    the last edge), interpolated linearly inside its band, as Prometheus'
    histogram_quantile does; a quantile above the last edge is reported as that edge."""
    total = sum(counts)
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            if index >= len(edges):
                return edges[-1]
            lower = edges[index - 1] if index > 0 else 0.0
            return lower + (edges[index] - lower) * (rank - seen) / count
        seen += count
    return edges[-1]


async def traffic_series(
    session: AsyncSession, model: str, minutes: int, *, now: datetime | None = None
) -> TrafficSeries:
    """The last `minutes` of `model`'s answered predictions, in `MAX_STEPS` steps."""
    step_s = math.ceil(minutes * 60 / MAX_STEPS)
    end = now or utcnow()
    start = end - timedelta(seconds=step_s * MAX_STEPS)
    rows = await prediction_stats.served_counts(
        session, model, start=start, end=end, step_s=step_s, latency_edges_ms=LATENCY_EDGES_MS
    )
    versions: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    bands: dict[int, list[int]] = defaultdict(lambda: [0] * (len(LATENCY_EDGES_MS) + 1))
    for row in rows:
        if 0 <= row.step < MAX_STEPS:
            versions[row.step][row.version] += row.count
            bands[row.step][row.band] += row.count
    steps = []
    for index in range(MAX_STEPS):
        counts = bands.get(index)
        total = sum(counts) if counts else 0
        steps.append(
            TrafficStep(
                start=start + timedelta(seconds=index * step_s),
                predictions=total,
                by_version=dict(sorted(versions.get(index, {}).items())),
                latency_ms=(
                    {q: round(quantile(q, counts, LATENCY_EDGES_MS), 3) for q in QUANTILES}
                    if counts and total
                    else None
                ),
            )
        )
    return TrafficSeries(model, start, end, step_s, steps)
