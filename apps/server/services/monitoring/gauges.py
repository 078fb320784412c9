"""Monitoring reports as Prometheus gauges (the contract of `core/ml_metrics.py`)."""

from server.agents.monitoring.drift import FeatureDrift
from server.config import Settings
from server.core.ml_metrics import (
    DRIFT_DISTANCE,
    DRIFT_PSI,
    DRIFT_SEVERITY,
    QUALITY,
    QUALITY_GATE,
    QUALITY_WINDOW,
)
from server.services.monitoring.reports import DriftResult, QualityResult, quality_gates


def _feature_gauges(model: str, version: str, feature: FeatureDrift) -> None:
    DRIFT_SEVERITY.labels(model, version, feature.feature).set(feature.severity.level)
    if feature.psi is not None:
        DRIFT_PSI.labels(model, version, feature.feature).set(feature.psi)
    value = feature.gauge_value
    if feature.method is not None and value is not None:
        DRIFT_DISTANCE.labels(model, version, feature.feature, feature.method).set(value)


def publish_drift(result: DriftResult) -> None:
    """Severity, PSI and the test or distance of every feature."""
    for feature in result.report.features:
        _feature_gauges(result.target.model, str(result.target.version), feature)


def publish_quality(result: QualityResult) -> None:
    """Feedback metrics (when judged), the estimate, ECE and the labelled window size."""
    model, version = result.target.model, str(result.target.version)
    report = result.report
    QUALITY_WINDOW.labels(model, version).set(report.labelled)
    if report.estimated.accuracy is not None:
        QUALITY.labels(model, version, "estimated_accuracy").set(report.estimated.accuracy)
    if report.feedback is not None:
        feedback = report.feedback
        for metric, interval in (
            ("macro_auc", feedback.macro_auc),
            ("precision", feedback.precision),
            ("recall", feedback.recall),
            ("accuracy", feedback.accuracy),
        ):
            if interval is not None:
                QUALITY.labels(model, version, metric).set(interval.value)
    if report.calibration is not None:
        QUALITY.labels(model, version, "ece").set(report.calibration.expected_calibration_error)


def publish_gates(settings: Settings) -> None:
    """The configured minimums, so alert rules compare scores with the same numbers."""
    for metric, value in quality_gates(settings).items():
        QUALITY_GATE.labels(settings.model_name, metric).set(value)
