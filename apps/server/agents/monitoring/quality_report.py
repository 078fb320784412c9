"""A version's quality report: feedback metrics, the label-free estimate, calibration, the
recall gap between text-length segments, and the verdict against the quality gates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from server.agents.monitoring.calibration import Calibration, calibration
from server.agents.monitoring.estimate import EstimatedQuality, estimate_quality
from server.agents.monitoring.quality import LabelledQuality, label_indices, labelled_quality
from server.agents.numeric import FloatArray
from server.agents.training.reports import BiasReport
from server.config import GateConfig, QualityConfig

QUALITY_METRICS = ("macro_auc", "precision", "recall", "accuracy")
"""Feedback metrics reported to Prometheus (with `estimated_accuracy` and `ece`)."""


@dataclass(frozen=True)
class QualityWindow:
    """Predictions of one version: all of them (for the estimate) and those with feedback."""

    labels: Sequence[str]
    proba: FloatArray
    """Every prediction in the window, one column per label."""
    feedback: Sequence[str]
    feedback_proba: FloatArray
    feedback_lengths: Sequence[int]


class QualityReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "insufficient_data"]
    labelled: int
    min_labels: int
    feedback: LabelledQuality | None
    estimated: EstimatedQuality
    calibration: Calibration | None
    segments: BiasReport | None
    failed_gates: list[str]

    @property
    def below_gate(self) -> bool:
        return bool(self.failed_gates)


def length_band(length: int, edges: Sequence[int]) -> str:
    """The text length segment of a prediction: `<100`, `100-199`, `>=200` for (100, 200)."""
    if length < edges[0]:
        return f"<{edges[0]}"
    for low, high in pairwise(edges):
        if length < high:
            return f"{low}-{high - 1}"
    return f">={edges[-1]}"


def gate_thresholds(gates: GateConfig) -> dict[str, float]:
    """The training gates a served window is judged against, by metric name (minimums, but
    `segment_recall_gap`, a maximum)."""
    return {
        "macro_auc": gates.min_macro_auc,
        "precision": gates.min_class_precision,
        "recall": gates.min_class_recall,
        "segment_recall_gap": gates.max_segment_recall_gap,
    }


def failed_gates(feedback: LabelledQuality, segments: BiasReport, gates: GateConfig) -> list[str]:
    """Names of the gates the window's quality falls below."""
    limits = gate_thresholds(gates)
    measured = {
        "macro_auc": None if feedback.macro_auc is None else feedback.macro_auc.value,
        "precision": feedback.precision.value,
        "recall": feedback.recall.value,
    }
    failed = [
        name for name, value in measured.items() if value is not None and value < limits[name]
    ]
    gap = segments.max_recall_gap
    if gap is not None and gap > limits["segment_recall_gap"]:
        failed.append("segment_recall_gap")
    return failed


def quality_report(
    window: QualityWindow, labels: Sequence[str], config: QualityConfig, gates: GateConfig
) -> QualityReport:
    """Judge a window against `gates` (the training gates); below `config.min_labels`
    feedback rows only the estimate is given."""
    estimated = estimate_quality(window.proba, labels)
    count = len(window.feedback)
    if count < config.min_labels:
        return QualityReport(
            status="insufficient_data",
            labelled=count,
            min_labels=config.min_labels,
            feedback=None,
            estimated=estimated,
            calibration=None,
            segments=None,
            failed_gates=[],
        )
    proba = window.feedback_proba
    feedback = labelled_quality(
        window.feedback,
        proba,
        labels,
        resamples=config.bootstrap_resamples,
        seed=config.bootstrap_seed,
        confidence_level=config.confidence_level,
    )
    correct = proba.argmax(axis=1) == label_indices(window.feedback, labels)
    predicted = [labels[i] for i in proba.argmax(axis=1)]
    bands = [length_band(n, config.segment_length_edges) for n in window.feedback_lengths]
    # scikit-learn is imported when a report is built, not when the API starts (~1.5 s).
    from server.agents.training.metrics import segment_report  # noqa: PLC0415

    segments = segment_report(window.feedback, predicted, bands, gates.min_segment_size)
    return QualityReport(
        status="ok",
        labelled=count,
        min_labels=config.min_labels,
        feedback=feedback,
        estimated=estimated,
        calibration=calibration(proba.max(axis=1), np.asarray(correct), config.calibration_bins),
        segments=segments,
        failed_gates=failed_gates(feedback, segments, gates),
    )
