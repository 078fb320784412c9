"""Holdout evaluation: overall and per-class quality, calibration, and per-segment recall."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
)

from server.agents.numeric import FloatArray
from server.agents.training.reports import (
    BiasReport,
    ClassMetrics,
    EvaluationReport,
    SegmentMetrics,
)

__all__ = [
    "BiasReport",
    "ClassMetrics",
    "EvaluationReport",
    "SegmentMetrics",
    "evaluate",
    "expected_calibration_error",
    "segment_report",
]

_CALIBRATION_BINS = 15


def _label_indices(y_true: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(y_true) - index.keys())
    if unknown:
        raise ValueError(f"holdout labels unknown to the model: {unknown}")
    return np.array([index[label] for label in y_true], dtype=np.intp)


def expected_calibration_error(proba: FloatArray, targets: np.ndarray) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == targets
    bins = np.minimum((confidence * _CALIBRATION_BINS).astype(np.intp), _CALIBRATION_BINS - 1)
    error = 0.0
    for b in np.unique(bins):
        members = bins == b
        error += members.mean() * abs(confidence[members].mean() - correct[members].mean())
    return float(error)


def evaluate(y_true: Sequence[str], proba: FloatArray, labels: Sequence[str]) -> EvaluationReport:
    """Score probabilities `proba` (one column per label, in `labels` order) against `y_true`."""
    targets = _label_indices(y_true, labels)
    predicted = proba.argmax(axis=1)
    classes = np.arange(len(labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        targets, predicted, labels=classes, zero_division=0
    )
    if len(labels) == 2:
        auc = roc_auc_score(targets, proba[:, 1])
    else:
        auc = roc_auc_score(targets, proba, multi_class="ovr", average="macro", labels=classes)
    return EvaluationReport(
        rows=len(targets),
        accuracy=float(accuracy_score(targets, predicted)),
        macro_f1=float(f1_score(targets, predicted, labels=classes, average="macro")),
        macro_auc=float(auc),
        log_loss=float(log_loss(targets, proba, labels=classes)),
        expected_calibration_error=expected_calibration_error(proba, targets),
        per_class={
            label: ClassMetrics(
                precision=float(precision[i]),
                recall=float(recall[i]),
                f1=float(f1[i]),
                support=int(support[i]),
            )
            for i, label in enumerate(labels)
        },
    )


def segment_report(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    segments: Sequence[str],
    min_segment_size: int,
) -> BiasReport:
    """Macro recall per segment, over the classes present in that segment.

    Segments with fewer than `min_segment_size` rows are too noisy to judge: they are
    reported with `judged=False` and left out of the gap.
    """
    truth, predicted, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(segments)
    rows: list[SegmentMetrics] = []
    for segment in sorted(set(segments)):
        members = groups == segment
        present = np.unique(truth[members])
        recall = recall_score(
            truth[members], predicted[members], labels=present, average="macro", zero_division=0
        )
        size = int(members.sum())
        rows.append(
            SegmentMetrics(
                segment=segment,
                rows=size,
                macro_recall=float(recall),
                judged=size >= min_segment_size,
            )
        )
    judged = [row.macro_recall for row in rows if row.judged]
    gap = max(judged) - min(judged) if len(judged) >= 2 else None
    return BiasReport(min_segment_size=min_segment_size, segments=rows, max_recall_gap=gap)
