"""Validation gates: every check a candidate must pass before it may be promoted.

Each gate returns a `GateResult` with the measured value, the threshold and a message that
says by how much it failed. Gates never raise on a bad model; they report.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from server.agents.numeric import FloatArray
from server.agents.training.metrics import BiasReport, EvaluationReport
from server.config import GateConfig


class GateResult(BaseModel):
    """The verdict of one gate."""

    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    value: float | None
    """The measured value; None when there was nothing to judge."""
    threshold: float
    message: str


def _at_least(name: str, what: str, value: float, minimum: float) -> GateResult:
    passed = value >= minimum
    message = (
        f"{what} {value:.4f} meets the minimum {minimum:.4f}"
        if passed
        else f"{what} {value:.4f} is {minimum - value:.4f} below the minimum {minimum:.4f}"
    )
    return GateResult(name=name, passed=passed, value=value, threshold=minimum, message=message)


def macro_f1_gate(metrics: EvaluationReport, config: GateConfig) -> GateResult:
    """Holdout macro-F1 at least `min_macro_f1`."""
    return _at_least("macro_f1", "macro-F1", metrics.macro_f1, config.min_macro_f1)


def macro_auc_gate(metrics: EvaluationReport, config: GateConfig) -> GateResult:
    """Holdout macro one-vs-rest ROC AUC at least `min_macro_auc`."""
    return _at_least("macro_auc", "macro ROC AUC", metrics.macro_auc, config.min_macro_auc)


def _per_class_gate(name: str, what: str, values: dict[str, float], minimum: float) -> GateResult:
    worst = min(values.values())
    short = {label: v for label, v in values.items() if v < minimum}
    if not short:
        message = f"every class has {what} >= {minimum:.4f} (lowest {worst:.4f})"
    else:
        listed = ", ".join(
            f"{label} {v:.4f} (short by {minimum - v:.4f})" for label, v in sorted(short.items())
        )
        message = f"{what} below the minimum {minimum:.4f} for: {listed}"
    return GateResult(name=name, passed=not short, value=worst, threshold=minimum, message=message)


def class_precision_gate(metrics: EvaluationReport, config: GateConfig) -> GateResult:
    """Every class's holdout precision at least `min_class_precision`."""
    values = {label: c.precision for label, c in metrics.per_class.items()}
    return _per_class_gate("class_precision", "precision", values, config.min_class_precision)


def class_recall_gate(metrics: EvaluationReport, config: GateConfig) -> GateResult:
    """Every class's holdout recall at least `min_class_recall`."""
    values = {label: c.recall for label, c in metrics.per_class.items()}
    return _per_class_gate("class_recall", "recall", values, config.min_class_recall)


def champion_gate(
    candidate: EvaluationReport,
    champion: EvaluationReport | None,
    config: GateConfig,
    *,
    absent_reason: str = "no champion to compare with",
) -> GateResult:
    """Macro-F1 and macro AUC no more than `champion_margin` below the champion's, both
    measured on the candidate's holdout. The value is the worse of the two differences."""
    threshold = -config.champion_margin
    if champion is None:
        return GateResult(
            name="champion", passed=True, value=None, threshold=threshold, message=absent_reason
        )
    deltas = {
        "macro-F1": (candidate.macro_f1, champion.macro_f1),
        "macro ROC AUC": (candidate.macro_auc, champion.macro_auc),
    }
    worst = min(mine - theirs for mine, theirs in deltas.values())
    behind = [
        f"{what} {mine:.4f} is {theirs - mine:.4f} below the champion's {theirs:.4f}"
        for what, (mine, theirs) in deltas.items()
        if mine - theirs < threshold
    ]
    passed = not behind
    message = (
        f"within {config.champion_margin:.4f} of the champion (worst difference {worst:+.4f})"
        if passed
        else "; ".join(behind) + f" (allowed margin {config.champion_margin:.4f})"
    )
    return GateResult(
        name="champion", passed=passed, value=worst, threshold=threshold, message=message
    )


def bias_gate(report: BiasReport, config: GateConfig) -> GateResult:
    """Largest macro-recall gap between judged segments at most `max_segment_recall_gap`."""
    limit = config.max_segment_recall_gap
    small = [f"{s.segment} ({s.rows} rows)" for s in report.segments if not s.judged]
    reported = f"; reported, not judged: {', '.join(small)}" if small else ""
    gap = report.max_recall_gap
    if gap is None:
        message = f"fewer than two segments with >= {report.min_segment_size} rows{reported}"
        return GateResult(name="bias", passed=True, value=None, threshold=limit, message=message)
    judged = [s for s in report.segments if s.judged]
    best = max(judged, key=lambda s: s.macro_recall)
    worst = min(judged, key=lambda s: s.macro_recall)
    spread = f"{best.segment} {best.macro_recall:.4f} vs {worst.segment} {worst.macro_recall:.4f}"
    passed = gap <= limit
    message = (
        f"macro-recall gap {gap:.4f} within {limit:.4f} ({spread}){reported}"
        if passed
        else f"macro-recall gap {gap:.4f} exceeds {limit:.4f} by {gap - limit:.4f} "
        f"({spread}){reported}"
    )
    return GateResult(name="bias", passed=passed, value=gap, threshold=limit, message=message)


def max_abs_difference(a: FloatArray, b: FloatArray) -> float:
    """Largest absolute elementwise difference; infinite when the shapes differ."""
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def parity_gate(max_difference: float, config: GateConfig) -> GateResult:
    """The packaged artifact's probabilities within `parity_tolerance` of the pipeline's."""
    limit = config.parity_tolerance
    passed = max_difference <= limit
    message = (
        f"packaged model matches the trained pipeline (max difference {max_difference:.2e})"
        if passed
        else f"max probability difference {max_difference:.2e} exceeds {limit:.0e} by "
        f"{max_difference - limit:.2e}"
    )
    return GateResult(
        name="parity", passed=passed, value=max_difference, threshold=limit, message=message
    )


def quality_gates(
    metrics: EvaluationReport,
    bias: BiasReport,
    champion: EvaluationReport | None,
    config: GateConfig,
    *,
    champion_absent_reason: str = "no champion to compare with",
) -> list[GateResult]:
    """Every gate that judges the trained model (parity is judged after packaging)."""
    return [
        macro_f1_gate(metrics, config),
        macro_auc_gate(metrics, config),
        class_precision_gate(metrics, config),
        class_recall_gate(metrics, config),
        champion_gate(metrics, champion, config, absent_reason=champion_absent_reason),
        bias_gate(bias, config),
    ]
