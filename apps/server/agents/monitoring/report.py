"""A version's drift report: every monitored feature of a live window against its reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from server.agents.artifacts.reference import ReferenceStatistics
from server.agents.monitoring.drift import (
    FeatureDrift,
    Severity,
    categorical_drift,
    numeric_drift,
    overall_severity,
    share_drift,
)
from server.config import DriftConfig

FEATURES = ("text_length", "oov_rate", "predicted_class", "confidence")
"""The monitored features: a fixed list, so the metrics' `feature` label stays bounded."""


@dataclass(frozen=True)
class DriftWindow:
    """What a window of live predictions looked like, one entry per prediction.

    `oov_rates` may be shorter than the rest: predictions recorded before the rate was
    measured have none.
    """

    text_lengths: Sequence[float]
    oov_rates: Sequence[float]
    labels: Sequence[str]
    confidences: Sequence[float]

    @property
    def size(self) -> int:
        return len(self.labels)


class DriftReport(BaseModel):
    """Per-feature verdicts and the worst of them."""

    model_config = ConfigDict(frozen=True)

    window_size: int
    min_window: int
    severity: Severity
    features: list[FeatureDrift]


def drift_report(
    reference: ReferenceStatistics, window: DriftWindow, config: DriftConfig
) -> DriftReport:
    """Compare `window` with `reference` feature by feature. The OOV rate is numeric when
    the reference keeps per-text rates, a share otherwise (versions trained before)."""
    oov = (
        numeric_drift("oov_rate", reference.oov_rates, window.oov_rates, config)
        if reference.oov_rates is not None
        else share_drift("oov_rate", reference.oov_rate, window.oov_rates, config)
    )
    features = [
        numeric_drift("text_length", reference.text_length, window.text_lengths, config),
        oov,
        categorical_drift("predicted_class", reference.predicted_prior, window.labels, config),
        numeric_drift("confidence", reference.confidence, window.confidences, config),
    ]
    return DriftReport(
        window_size=window.size,
        min_window=config.min_window,
        severity=overall_severity(features),
        features=features,
    )
