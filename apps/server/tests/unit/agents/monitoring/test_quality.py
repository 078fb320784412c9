"""Quality metrics against scikit-learn, bootstrap intervals, the label-free estimate,
calibration, and the quality report's verdicts."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

from server.agents.monitoring.calibration import calibration
from server.agents.monitoring.estimate import estimate_quality
from server.agents.monitoring.quality import labelled_quality, macro_auc
from server.agents.monitoring.quality_report import (
    QualityWindow,
    length_band,
    quality_report,
)
from server.agents.training.metrics import expected_calibration_error
from server.config import GateConfig, QualityConfig

LABELS = ["a", "b", "c", "d"]


def _sample(n: int, seed: int, sharpness: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, sharpness, (n, len(LABELS)))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(len(LABELS), p=row) for row in proba])
    return proba, truth


def test_metrics_match_scikit_learn() -> None:
    proba, truth = _sample(800, 1)
    predicted = proba.argmax(axis=1)
    quality = labelled_quality(
        [LABELS[i] for i in truth], proba, LABELS, resamples=50, seed=0, confidence_level=0.95
    )
    assert quality.count == 800
    assert quality.macro_auc is not None
    assert quality.macro_auc.value == pytest.approx(
        roc_auc_score(truth, proba, multi_class="ovr", average="macro")
    )
    assert quality.precision.value == pytest.approx(
        precision_score(truth, predicted, average="macro", zero_division=0)
    )
    assert quality.recall.value == pytest.approx(
        recall_score(truth, predicted, average="macro", zero_division=0)
    )
    assert quality.accuracy.value == pytest.approx(accuracy_score(truth, predicted))


def test_a_label_never_predicted_counts_as_zero_precision_like_scikit_learn() -> None:
    truth = np.array([0, 1, 2, 2])
    proba = np.array([[0.9, 0.1, 0, 0], [0.1, 0.9, 0, 0], [0.2, 0.8, 0, 0], [0.6, 0.4, 0, 0]])
    quality = labelled_quality(
        [LABELS[i] for i in truth], proba, LABELS, resamples=10, seed=0, confidence_level=0.9
    )
    predicted = proba.argmax(axis=1)
    assert quality.precision.value == pytest.approx(
        precision_score(truth, predicted, average="macro", zero_division=0)
    )
    assert quality.recall.value == pytest.approx(
        recall_score(truth, predicted, average="macro", zero_division=0)
    )


def test_auc_needs_two_classes_with_positives_and_negatives() -> None:
    proba = np.array([[0.9, 0.1, 0.0, 0.0], [0.8, 0.2, 0.0, 0.0]])
    assert np.isnan(macro_auc(np.array([0, 0]), proba))
    quality = labelled_quality(
        ["a", "a"], proba, LABELS, resamples=10, seed=0, confidence_level=0.9
    )
    assert quality.macro_auc is None


def test_bootstrap_intervals_cover_the_value_and_shrink_with_more_data() -> None:
    widths = []
    for n in (200, 3000):
        proba, truth = _sample(n, 2)
        quality = labelled_quality(
            [LABELS[i] for i in truth], proba, LABELS, resamples=200, seed=3, confidence_level=0.95
        )
        again = labelled_quality(
            [LABELS[i] for i in truth], proba, LABELS, resamples=200, seed=3, confidence_level=0.95
        )
        assert quality == again  # seeded
        accuracy = quality.accuracy
        assert accuracy.low is not None
        assert accuracy.high is not None
        assert accuracy.low <= accuracy.value <= accuracy.high
        widths.append(accuracy.high - accuracy.low)
    assert widths[1] < widths[0] / 2  # about 1/sqrt(15) as wide


def test_the_estimate_matches_realized_quality_when_calibrated() -> None:
    proba, truth = _sample(20_000, 4)
    predicted = proba.argmax(axis=1)
    estimate = estimate_quality(proba, LABELS)
    assert estimate.accuracy == pytest.approx(proba.max(axis=1).mean())
    assert estimate.accuracy == pytest.approx(accuracy_score(truth, predicted), abs=0.015)
    assert estimate.precision == pytest.approx(
        precision_score(truth, predicted, average="macro"), abs=0.02
    )
    assert estimate.recall == pytest.approx(
        recall_score(truth, predicted, average="macro"), abs=0.02
    )
    k = 1
    chosen = predicted == k
    assert estimate.per_class["b"].precision == pytest.approx(proba[chosen, k].mean())
    assert estimate.per_class["b"].recall == pytest.approx(
        proba[chosen, k].sum() / proba[:, k].sum()
    )


def test_the_estimate_of_an_empty_window_is_empty() -> None:
    estimate = estimate_quality(np.zeros((0, 4)), LABELS)
    assert (estimate.count, estimate.accuracy, estimate.per_class) == (0, None, {})


def test_calibration_agrees_with_the_training_evaluation() -> None:
    proba, truth = _sample(2000, 5, sharpness=4.0)
    correct = proba.argmax(axis=1) == truth
    result = calibration(proba.max(axis=1), correct, 15)
    assert result.expected_calibration_error == pytest.approx(
        expected_calibration_error(proba, truth)
    )
    assert sum(b.count for b in result.bins) == 2000
    assert result.expected_calibration_error < 0.05  # calibrated by construction
    busy = max(result.bins, key=lambda b: b.count)
    members = (proba.max(axis=1) >= busy.lower) & (proba.max(axis=1) < busy.upper)
    assert busy.accuracy == pytest.approx(correct[members].mean())


def test_an_overconfident_model_has_a_large_calibration_error() -> None:
    confidence = np.full(1000, 0.95)
    correct = np.arange(1000) < 600
    result = calibration(confidence, correct, 10)
    assert result.expected_calibration_error == pytest.approx(0.35)
    assert result.bins[9].count == 1000
    assert result.bins[0].accuracy is None
    with pytest.raises(ValueError, match="at least one"):
        calibration(np.zeros(0), np.zeros(0, dtype=bool), 10)


@pytest.mark.parametrize(
    ("length", "band"),
    [(0, "<100"), (99, "<100"), (100, "100-199"), (199, "100-199"), (200, ">=200")],
)
def test_length_bands(length: int, band: str) -> None:
    assert length_band(length, (100, 200)) == band


def _window(n: int, seed: int, noise: float = 0.0) -> QualityWindow:
    proba, truth = _sample(n, seed, sharpness=4.0)
    rng = np.random.default_rng(seed)
    flipped = rng.random(n) < noise
    truth = np.where(flipped, (truth + 1) % len(LABELS), truth)
    return QualityWindow(
        labels=LABELS,
        proba=proba,
        feedback=[LABELS[i] for i in truth],
        feedback_proba=proba,
        feedback_lengths=list(rng.integers(20, 300, n)),
    )


def test_a_report_below_the_minimum_labels_has_only_the_estimate() -> None:
    report = quality_report(_window(50, 6), LABELS, QualityConfig(min_labels=200), GateConfig())
    assert report.status == "insufficient_data"
    assert report.labelled == 50
    assert (report.feedback, report.calibration, report.segments) == (None, None, None)
    assert report.estimated.count == 50
    assert report.below_gate is False


def test_a_report_judges_gates_calibration_and_segments() -> None:
    config = QualityConfig(min_labels=200, bootstrap_resamples=20)
    gates = GateConfig(
        min_macro_auc=0.5, min_class_precision=0.5, min_class_recall=0.5, max_segment_recall_gap=1.0
    )
    good = quality_report(_window(1000, 7), LABELS, config, gates)
    assert good.status == "ok"
    assert good.failed_gates == []
    assert good.calibration is not None
    assert good.segments is not None
    assert {s.segment for s in good.segments.segments} == {"<100", "100-199", ">=200"}
    noisy = quality_report(_window(1000, 7, noise=0.8), LABELS, config, gates)
    assert noisy.below_gate is True
    assert {"macro_auc", "precision", "recall"} <= set(noisy.failed_gates)
