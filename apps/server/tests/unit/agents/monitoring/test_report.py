"""A trained version's reference against generated traffic: calm without drift, major with."""

import numpy as np
import pytest

from server.agents.classifier import TicketClassifier
from server.agents.data.generator import generate_tickets
from server.agents.data.shift import DriftSpec
from server.agents.monitoring.drift import Severity
from server.agents.monitoring.report import FEATURES, DriftReport, DriftWindow, drift_report
from server.config import DriftConfig
from server.tests.unit.agents.support import TrainedRun


def _report(
    run: TrainedRun, classifier: TicketClassifier, rows: int, strength: float, seed: int = 99
) -> DriftReport:
    texts = generate_tickets(rows, seed, drift=DriftSpec(strength=strength)).texts
    proba, oov = classifier.predict_proba_with_oov(texts)
    labels = classifier.labels
    window = DriftWindow(
        text_lengths=[float(len(t)) for t in texts],
        oov_rates=oov,
        labels=[labels[i] for i in proba.argmax(axis=1)],
        confidences=proba.max(axis=1).tolist(),
    )
    return drift_report(run.result.manifest.reference, window, DriftConfig())


@pytest.mark.parametrize("rows", [600, 2000])  # a test on small windows, a distance on large
def test_traffic_like_the_training_data_shows_no_major_drift(
    trained_run: TrainedRun, classifier: TicketClassifier, rows: int
) -> None:
    report = _report(trained_run, classifier, rows, strength=0.0)
    assert [f.feature for f in report.features] == list(FEATURES)
    assert report.severity is not Severity.major
    for feature in report.features:
        assert feature.psi is not None
        assert feature.psi < 0.1, feature


@pytest.mark.parametrize("rows", [600, 2000])
def test_drifted_traffic_is_major_drift_on_inputs_and_outputs(
    trained_run: TrainedRun, classifier: TicketClassifier, rows: int
) -> None:
    report = _report(trained_run, classifier, rows, strength=1.0)
    verdicts = {f.feature: f for f in report.features}
    assert report.severity is Severity.major
    for feature in ("text_length", "oov_rate", "predicted_class"):
        assert verdicts[feature].severity is Severity.major, verdicts[feature]
        assert verdicts[feature].drifted is True
    oov_mean = verdicts["oov_rate"].window_mean
    assert oov_mean is not None
    assert oov_mean > trained_run.result.manifest.reference.oov_rate


def test_a_small_window_is_insufficient_data(
    trained_run: TrainedRun, classifier: TicketClassifier
) -> None:
    report = _report(trained_run, classifier, 100, strength=1.0)
    assert report.severity is Severity.insufficient_data
    assert {f.severity for f in report.features} == {Severity.insufficient_data}


def test_oov_rates_agree_with_the_pooled_rate(
    trained_run: TrainedRun, classifier: TicketClassifier
) -> None:
    texts = ["refund my order please", "zzzz qqqq", ""]
    proba, rates = classifier.predict_proba_with_oov(texts)
    assert np.allclose(proba, classifier.predict_proba(texts))
    assert rates[1] == 1.0
    assert rates[2] == 0.0
    assert rates[0] == pytest.approx(classifier.oov_rate(texts[:1]))


def test_a_reference_without_per_text_oov_rates_compares_the_share(
    trained_run: TrainedRun, classifier: TicketClassifier
) -> None:
    old = trained_run.result.manifest.reference.model_copy(update={"oov_rates": None})
    window = DriftWindow(
        text_lengths=[100.0] * 600,
        oov_rates=[0.5] * 600,
        labels=["billing"] * 600,
        confidences=[0.9] * 600,
    )
    report = drift_report(old, window, DriftConfig())
    oov = next(f for f in report.features if f.feature == "oov_rate")
    assert (oov.kind, oov.method, oov.severity) == ("share", "jensenshannon", Severity.major)


SEEDS = range(1000, 1020)


@pytest.mark.parametrize("rows", [600, 2000])
def test_twenty_seeds_of_fresh_traffic_raise_at_most_one_alarm(
    trained_run: TrainedRun, classifier: TicketClassifier, rows: int
) -> None:
    verdicts = [_report(trained_run, classifier, rows, 0.0, seed).severity for seed in SEEDS]
    alarms = [v for v in verdicts if v is not Severity.none]
    assert len(alarms) <= 1, verdicts


@pytest.mark.parametrize("rows", [600, 2000])
def test_twenty_seeds_of_drifted_traffic_are_detected_at_least_nineteen_times(
    trained_run: TrainedRun, classifier: TicketClassifier, rows: int
) -> None:
    verdicts = [_report(trained_run, classifier, rows, 1.0, seed).severity for seed in SEEDS]
    assert sum(v is Severity.major for v in verdicts) >= 19, verdicts
