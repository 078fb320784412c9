"""What an evaluation reports: per-class, calibration and per-segment figures.

Plain Pydantic models, kept apart from the code that computes them (`metrics.py`, which
needs scikit-learn) so that reading a manifest, as the API does, imports no scikit-learn.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ClassMetrics(BaseModel):
    """Quality of one class on the holdout."""

    model_config = ConfigDict(frozen=True)

    precision: float
    recall: float
    f1: float
    support: int


class EvaluationReport(BaseModel):
    """Quality of a model on one holdout; what the gates judge and the manifest records."""

    model_config = ConfigDict(frozen=True)

    rows: int
    accuracy: float
    macro_f1: float
    macro_auc: float
    log_loss: float
    expected_calibration_error: float
    per_class: dict[str, ClassMetrics]


class SegmentMetrics(BaseModel):
    """Recall within one data segment (a region or language group)."""

    model_config = ConfigDict(frozen=True)

    segment: str
    rows: int
    macro_recall: float
    judged: bool


class BiasReport(BaseModel):
    """Per-segment recall; segments below `min_segment_size` rows are listed, not judged."""

    model_config = ConfigDict(frozen=True)

    min_segment_size: int
    segments: list[SegmentMetrics]
    max_recall_gap: float | None
    """Best minus worst macro recall among judged segments; None with fewer than two."""
