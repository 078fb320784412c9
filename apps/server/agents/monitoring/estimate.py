"""Label-free quality estimate from calibrated confidence, in the spirit of NannyML's CBPE.

If the probabilities are calibrated, a prediction made with confidence p is right with
probability p. So, without any label: expected accuracy is the mean top-class probability;
class k's expected true positives are the probabilities of k among predictions of k, its
expected positives the sum of its probabilities over all rows; expected precision and recall
follow. It is only as good as the calibration, which the feedback's ECE checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from server.agents.numeric import FloatArray


class ClassEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    predicted: int
    precision: float | None
    recall: float | None


class EstimatedQuality(BaseModel):
    """Expected quality of a window of predictions, without labels."""

    model_config = ConfigDict(frozen=True)

    count: int
    accuracy: float | None
    precision: float | None
    recall: float | None
    per_class: dict[str, ClassEstimate]


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def estimate_quality(proba: FloatArray, labels: Sequence[str]) -> EstimatedQuality:
    """Expected accuracy and macro precision/recall of `proba` (one column per label)."""
    if proba.shape[0] == 0:
        return EstimatedQuality(count=0, accuracy=None, precision=None, recall=None, per_class={})
    predicted = proba.argmax(axis=1)
    per_class: dict[str, ClassEstimate] = {}
    for k, label in enumerate(labels):
        chosen = predicted == k
        hits = float(proba[chosen, k].sum())  # expected true positives
        positives = float(proba[:, k].sum())  # expected actual positives
        per_class[label] = ClassEstimate(
            predicted=int(chosen.sum()),
            precision=hits / int(chosen.sum()) if chosen.any() else None,
            recall=hits / positives if positives > 0 else None,
        )
    return EstimatedQuality(
        count=int(proba.shape[0]),
        accuracy=float(proba.max(axis=1).mean()),
        precision=_mean([c.precision for c in per_class.values() if c.precision is not None]),
        recall=_mean([c.recall for c in per_class.values() if c.recall is not None]),
        per_class=per_class,
    )
