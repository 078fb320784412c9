"""Responses of the monitoring API: drift, quality and an overview of served versions."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["insufficient_data", "none", "moderate", "major"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class DriftBinOut(_Out):
    label: str = Field(examples=["100-200"], description="A value range or a category.")
    reference: float = Field(description="Share of the reference in this bin.")
    window: float = Field(description="Share of the window in this bin.")


class FeatureDriftOut(_Out):
    feature: Literal["text_length", "oov_rate", "predicted_class", "confidence"]
    kind: Literal["numeric", "categorical", "share"]
    method: Literal["ks", "wasserstein", "chi2", "jensenshannon"] | None = Field(
        description="KS or chi-squared test on small windows, normalized Wasserstein or "
        "Jensen-Shannon distance on large ones; None with insufficient data."
    )
    statistic: float | None
    p_value: float | None = Field(description="Of the tests only.")
    threshold: float = Field(description="p-value below which, or distance from which, drift.")
    drifted: bool | None
    psi: float | None = Field(description="Population stability index on the reference bins.")
    severity: Severity
    window_size: int
    reference_mean: float | None = None
    window_mean: float | None = None
    bins: list[DriftBinOut] = Field(
        default_factory=list,
        description="The reference and window distributions PSI compares, bin by bin; empty "
        "with insufficient data.",
    )


class DriftOut(_Out):
    model: str = Field(examples=["ticket-triage"])
    version: int
    role: str | None = Field(description="The alias the version holds, if any.")
    shadow: bool = Field(description="Whether the window is the challenger's shadow scores.")
    window_start: datetime | None
    window_end: datetime | None
    window_size: int
    min_window: int
    severity: Severity = Field(description="The worst feature verdict.")
    features: list[FeatureDriftOut]


class IntervalOut(_Out):
    value: float
    low: float | None
    high: float | None


class FeedbackQualityOut(_Out):
    count: int
    confidence_level: float
    macro_auc: IntervalOut | None
    precision: IntervalOut
    recall: IntervalOut
    accuracy: IntervalOut


class ClassEstimateOut(_Out):
    predicted: int
    precision: float | None
    recall: float | None


class EstimatedQualityOut(_Out):
    count: int
    accuracy: float | None = Field(description="Mean top-class probability.")
    precision: float | None
    recall: float | None
    per_class: dict[str, ClassEstimateOut]


class ReliabilityBinOut(_Out):
    lower: float
    upper: float
    count: int
    confidence: float | None
    accuracy: float | None


class CalibrationOut(_Out):
    expected_calibration_error: float
    bins: list[ReliabilityBinOut]


class SegmentOut(_Out):
    segment: str = Field(examples=["100-199"], description="Text length band, in characters.")
    rows: int
    macro_recall: float
    judged: bool


class SegmentGapOut(_Out):
    min_segment_size: int
    segments: list[SegmentOut]
    max_recall_gap: float | None


class QualityOut(_Out):
    model: str
    version: int
    role: str | None
    window_start: datetime
    window_end: datetime
    status: Literal["ok", "insufficient_data"]
    labelled: int = Field(description="Predictions with feedback in the window.")
    min_labels: int
    feedback: FeedbackQualityOut | None = Field(description="From feedback; None if too few.")
    estimated: EstimatedQualityOut = Field(description="Label-free, from calibrated confidence.")
    calibration: CalibrationOut | None
    segments: SegmentGapOut | None = Field(description="Macro recall by text length band.")
    failed_gates: list[str]
    gates: dict[str, float] = Field(examples=[{"macro_auc": 0.93, "precision": 0.7}])


class StoredDriftOut(_Out):
    severity: Severity
    window_size: int
    created_at: datetime


class StoredQualityOut(_Out):
    status: Literal["ok", "insufficient_data"]
    window_size: int = Field(description="Labelled predictions judged.")
    below_gate: bool
    created_at: datetime


class VersionOverviewOut(_Out):
    version: int
    role: str
    drift: StoredDriftOut | None = Field(description="The latest scheduled drift check.")
    quality: StoredQualityOut | None = Field(description="The latest scheduled quality check.")
    loaded_by: int | None = Field(
        None,
        description="Live worker processes serving predictions that have it loaded; null when "
        "the workers' heartbeats could not be read.",
    )
    refused: list[str] = Field(
        default_factory=list,
        description="Why live workers refuse its artifact (e.g. a file whose digest differs "
        "from the manifest); empty when none does.",
    )


class TriggerOut(_Out):
    version: int
    reason: Literal["drift", "quality"]
    action: Literal["suggest", "auto"]
    detail: str
    training_run_id: uuid.UUID | None
    created_at: datetime


class ModelOverviewOut(_Out):
    model: str
    versions: list[VersionOverviewOut]
    last_trigger: TriggerOut | None


class OverviewOut(_Out):
    retrain_trigger: Literal["off", "suggest", "auto"]
    interval_s: int
    models: list[ModelOverviewOut]


class LatencyOut(_Out):
    p50: float
    p95: float
    p99: float


class VersionCountOut(_Out):
    version: int
    predictions: int


class TrafficStepOut(_Out):
    start: datetime
    predictions: int = Field(description="Answered predictions in the step (shadow excluded).")
    per_minute: float
    versions: list[VersionCountOut] = Field(description="Who answered: each version's count.")
    latency_ms: LatencyOut | None = Field(
        description="Percentiles estimated from the inference histogram's buckets (linear "
        "inside a bucket, as Prometheus' histogram_quantile); None without predictions."
    )


class TrafficOut(_Out):
    model: str
    window_start: datetime
    window_end: datetime
    step_s: int = Field(description="Seconds per step; the window has 60 steps.")
    steps: list[TrafficStepOut]


class QualityPointOut(_Out):
    window_end: datetime
    created_at: datetime
    status: Literal["ok", "insufficient_data"]
    labelled: int
    below_gate: bool
    accuracy: IntervalOut | None
    precision: IntervalOut | None
    recall: IntervalOut | None
    macro_auc: IntervalOut | None


class QualityHistoryOut(_Out):
    model: str
    version: int
    role: str | None
    confidence_level: float
    gates: dict[str, float]
    points: list[QualityPointOut] = Field(description="Scheduled quality checks, oldest first.")
