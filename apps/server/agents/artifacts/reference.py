"""Reference statistics stored with a model, which drift monitoring compares live traffic to.

Distributions keep quantiles, a histogram on fixed edges (for PSI or Jensen-Shannon) and a
raw sample (for Kolmogorov-Smirnov); `Histogram.bin` puts new values on the same edges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from server.agents.numeric import FloatArray

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
CONFIDENCE_EDGES = tuple(round(x, 1) for x in np.linspace(0.0, 1.0, 11))
OOV_EDGES = (0.0, 0.001, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
"""Per-text out-of-vocabulary rates: most texts have none, so the first bin is `exactly 0`."""


class Histogram(BaseModel):
    """Counts of values between consecutive `edges` (values outside go to the end bins)."""

    model_config = ConfigDict(frozen=True)

    edges: list[float] = Field(min_length=2)
    counts: list[int]

    def bin(self, values: Sequence[float] | FloatArray) -> list[int]:
        """Counts of `values` on this histogram's edges, e.g. for a live traffic window."""
        clipped = np.clip(np.asarray(values, dtype=np.float64), self.edges[0], self.edges[-1])
        counts, _ = np.histogram(clipped, bins=np.asarray(self.edges))
        return [int(c) for c in counts]


class Distribution(BaseModel):
    """A one-dimensional reference distribution."""

    model_config = ConfigDict(frozen=True)

    count: int
    mean: float
    quantiles: dict[str, float]
    histogram: Histogram
    sample: list[float]

    @classmethod
    def of(
        cls,
        values: Sequence[float] | FloatArray,
        *,
        edges: Sequence[float] | None,
        sample_size: int,
        seed: int,
    ) -> Distribution:
        """Summarize `values`; without `edges`, the deciles of `values` become the edges."""
        array = np.asarray(values, dtype=np.float64)
        if array.size == 0:
            raise ValueError("a reference distribution needs at least one value")
        if edges is None:
            edges = np.unique(np.quantile(array, np.linspace(0.0, 1.0, 11))).tolist()
            if len(edges) < 2:  # every value equal: one bin around it
                edges = [edges[0] - 0.5, edges[0] + 0.5]
        histogram = Histogram(edges=[float(e) for e in edges], counts=[])
        histogram = histogram.model_copy(update={"counts": histogram.bin(array)})
        rng = np.random.default_rng(seed)
        size = min(sample_size, array.size)
        sample = np.sort(rng.choice(array, size=size, replace=False))
        return cls(
            count=int(array.size),
            mean=float(array.mean()),
            quantiles={f"p{round(q * 100)}": float(np.quantile(array, q)) for q in QUANTILES},
            histogram=histogram,
            sample=[round(float(v), 6) for v in sample],
        )


class ReferenceStatistics(BaseModel):
    """What the inputs and outputs looked like when the model was validated."""

    model_config = ConfigDict(frozen=True)

    rows: int
    text_length: Distribution
    """Characters per normalized training text."""
    oov_rate: float
    """Share of holdout word tokens missing from the vocabulary."""
    oov_rates: Distribution | None = None
    """Per holdout text, the share of its word tokens missing from the vocabulary (drift
    monitoring compares live texts with it); None in versions trained before it existed."""
    label_prior: dict[str, float]
    """Share of each label in the training data."""
    predicted_prior: dict[str, float]
    """Share of each predicted label on the holdout: comparable with live predictions."""
    confidence: Distribution
    """Top-class probability on the holdout."""


def shares(values: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """The share of each label among `values` (labels absent from `values` get 0.0)."""
    counts = Counter(values)
    total = max(len(values), 1)
    return {label: counts[label] / total for label in labels}
