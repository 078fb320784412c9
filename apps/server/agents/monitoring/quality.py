"""Quality of a version from feedback: macro one-vs-rest AUC, macro precision and recall,
accuracy, each with a percentile bootstrap confidence interval.

Macro averages follow scikit-learn's defaults: precision and recall over the labels that
occur among the true or predicted labels (an undefined ratio counts as 0), AUC over the
classes that have both positives and negatives in the window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from server.agents.numeric import FloatArray

IntArray = NDArray[np.intp]


class Interval(BaseModel):
    """A point estimate and its bootstrap confidence interval."""

    model_config = ConfigDict(frozen=True)

    value: float
    low: float | None = Field(description="None when no resample could compute the metric.")
    high: float | None


class LabelledQuality(BaseModel):
    """Metrics of the predictions that received feedback."""

    model_config = ConfigDict(frozen=True)

    count: int
    confidence_level: float
    macro_auc: Interval | None = Field(description="None with fewer than two judged classes.")
    precision: Interval
    recall: Interval
    accuracy: Interval


def label_indices(values: Sequence[str], labels: Sequence[str]) -> IntArray:
    """Positions of `values` in `labels`; a value that is not a label is an error."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(values) - index.keys())
    if unknown:
        raise ValueError(f"labels unknown to the model: {unknown}")
    return np.asarray([index[v] for v in values], dtype=np.intp)


def macro_auc(truth: IntArray, proba: FloatArray) -> float:
    """Mean one-vs-rest ROC AUC (Mann-Whitney U) over classes with positives and negatives;
    NaN with fewer than two such classes."""
    # Imported here: scipy.stats costs the API about 1.5 s at every start, for a report
    # that is asked for now and then.
    from scipy.stats import rankdata  # noqa: PLC0415

    scores = []
    for k in range(proba.shape[1]):
        positive = truth == k
        n_pos = int(positive.sum())
        n_neg = positive.size - n_pos
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = rankdata(proba[:, k])
        scores.append((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(scores)) if len(scores) >= 2 else float("nan")


def _confusion(truth: IntArray, predicted: IntArray, classes: int) -> NDArray[np.int64]:
    flat = np.bincount(truth * classes + predicted, minlength=classes * classes)
    return flat.reshape(classes, classes)


def macro_precision_recall(
    truth: IntArray, predicted: IntArray, classes: int
) -> tuple[float, float]:
    """Macro precision and recall over labels present in truth or predictions."""
    matrix = _confusion(truth, predicted, classes)
    hits = np.diag(matrix).astype(np.float64)
    actual, chosen = matrix.sum(axis=1), matrix.sum(axis=0)
    present = (actual > 0) | (chosen > 0)
    precision = np.divide(hits, chosen, out=np.zeros_like(hits), where=chosen > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    return float(precision[present].mean()), float(recall[present].mean())


Metric = Callable[[IntArray, FloatArray, IntArray], float]


def _metrics(classes: int) -> dict[str, Metric]:
    return {
        "macro_auc": lambda t, p, _: macro_auc(t, p),
        "precision": lambda t, _, y: macro_precision_recall(t, y, classes)[0],
        "recall": lambda t, _, y: macro_precision_recall(t, y, classes)[1],
        "accuracy": lambda t, _, y: float(np.mean(t == y)),
    }


def bootstrap_interval(
    metric: Metric,
    truth: IntArray,
    proba: FloatArray,
    predicted: IntArray,
    *,
    resamples: NDArray[np.intp],
    confidence_level: float,
) -> Interval:
    """The metric on all rows, and the percentile interval over the resampled rows."""
    value = metric(truth, proba, predicted)
    values = np.asarray([metric(truth[r], proba[r], predicted[r]) for r in resamples])
    values = values[~np.isnan(values)]
    if values.size == 0:
        return Interval(value=value, low=None, high=None)
    tail = (1.0 - confidence_level) / 2
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return Interval(value=value, low=float(low), high=float(high))


def labelled_quality(
    y_true: Sequence[str],
    proba: FloatArray,
    labels: Sequence[str],
    *,
    resamples: int,
    seed: int,
    confidence_level: float,
) -> LabelledQuality:
    """Quality of `proba` (one column per label) against the feedback labels `y_true`."""
    truth = label_indices(y_true, labels)
    if truth.size == 0:
        raise ValueError("quality needs at least one labelled prediction")
    predicted = proba.argmax(axis=1).astype(np.intp)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, truth.size, size=(resamples, truth.size))
    intervals = {
        name: bootstrap_interval(
            metric, truth, proba, predicted, resamples=draws, confidence_level=confidence_level
        )
        for name, metric in _metrics(len(labels)).items()
    }
    auc = intervals["macro_auc"]
    return LabelledQuality(
        count=int(truth.size),
        confidence_level=confidence_level,
        macro_auc=None if np.isnan(auc.value) else auc,
        precision=intervals["precision"],
        recall=intervals["recall"],
        accuracy=intervals["accuracy"],
    )
