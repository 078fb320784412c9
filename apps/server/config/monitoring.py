"""Settings of model monitoring: drift, quality, retraining triggers.

`DriftConfig` and `QualityConfig` are the monitoring agents' own configuration objects:
`agents/monitoring` takes them as they are, `Settings` nests them as `drift` and `quality`
(variables `APP_DRIFT__*` and `APP_QUALITY__*`), and tests build them directly.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RetrainMode = Literal["off", "suggest", "auto"]


class DriftConfig(BaseModel):
    """Thresholds of the drift checks (Evidently's defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_window: int = Field(
        500,
        ge=1,
        description="Fewer predictions than this in a window give `insufficient_data`, never "
        "a drift verdict.",
    )
    large_window: int = Field(
        1000,
        ge=1,
        description="Windows of at least this many predictions are judged by distances "
        "(normalized Wasserstein, Jensen-Shannon); smaller ones by tests (KS, chi-squared).",
    )
    distance_threshold: float = Field(
        0.1, gt=0, description="Drift when a distance (Wasserstein, Jensen-Shannon) reaches this."
    )
    p_value: float = Field(
        0.05, gt=0, lt=1, description="Drift when a test's p-value (KS, chi-squared) is below."
    )
    psi_moderate: float = Field(0.1, gt=0, description="PSI from which drift is `moderate`.")
    psi_major: float = Field(
        0.25, gt=0, description="PSI from which drift is `major` (a retraining trigger)."
    )
    psi_epsilon: float = Field(
        1e-4, gt=0, lt=0.01, description="Share given to empty bins so PSI stays finite."
    )


class QualityConfig(BaseModel):
    """How quality is measured from feedback; it is judged against `GateConfig`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_labels: int = Field(
        200,
        ge=1,
        description="Fewer labelled predictions than this give `insufficient_data` for quality.",
    )
    bootstrap_resamples: int = Field(
        200, ge=10, le=10_000, description="Bootstrap resamples for quality confidence intervals."
    )
    bootstrap_seed: int = Field(0, description="Seed of the bootstrap resampling.")
    confidence_level: float = Field(
        0.95, gt=0.5, lt=1, description="Coverage of the bootstrap confidence intervals."
    )
    calibration_bins: int = Field(
        10, ge=2, le=100, description="Equal-width confidence bins of the reliability diagram."
    )
    segment_length_edges: tuple[int, ...] = Field(
        (100, 200),
        min_length=1,
        description="Text length (characters) bands for the segment recall gap: edges "
        "between short, medium and long (a JSON list in the environment).",
    )


class MonitoringSettings(BaseModel):
    """Monitoring: drift, quality, calibration, retraining triggers."""

    monitoring_interval_s: int = Field(
        900,
        ge=10,
        description="How often beat runs the drift and quality checks of champion and challenger.",
    )
    monitoring_window_size: int = Field(
        5000,
        ge=1,
        le=100_000,
        description="Drift window: the most recent predictions of a version compared with "
        "its reference.",
    )
    monitoring_lookback_h: float = Field(
        24.0,
        gt=0,
        description="Only predictions (and feedback) from the last this many hours enter a "
        "monitoring window.",
    )
    quality_window: int = Field(
        2000,
        ge=1,
        le=100_000,
        description="Quality window: the most recent predictions with feedback, per version.",
    )
    drift: DriftConfig = Field(
        default_factory=DriftConfig,
        description="Thresholds of the drift checks (`APP_DRIFT__*`).",
    )
    quality: QualityConfig = Field(
        default_factory=QualityConfig,
        description="How a version's quality is measured from feedback (`APP_QUALITY__*`).",
    )
    retrain_trigger: RetrainMode = Field(
        "suggest",
        description="On major drift or quality below the gates: `off`, `suggest` (log, record "
        "and count) or `auto` (also enqueue a training run).",
    )
    retrain_quality_windows: int = Field(
        3,
        ge=1,
        description="Consecutive quality windows below a gate before retraining is triggered.",
    )
    retrain_cooldown_s: int = Field(
        86_400,
        ge=0,
        description="After a trigger, no other trigger for the same model for this many seconds.",
    )
