"""Drift statistics against scipy on constructed samples, PSI by hand, verdict rules."""

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, wasserstein_distance

from server.agents.artifacts.reference import Distribution
from server.agents.monitoring.drift import (
    Severity,
    categorical_drift,
    numeric_drift,
    overall_severity,
    psi,
    severity_of,
    share_drift,
)
from server.config import DriftConfig

CONFIG = DriftConfig(min_window=500, large_window=1000)
RNG = np.random.default_rng(7)
REFERENCE_VALUES = RNG.normal(100.0, 20.0, 20_000)
REFERENCE = Distribution.of(REFERENCE_VALUES, edges=None, sample_size=500, seed=1)


def test_psi_matches_the_formula_and_survives_empty_bins() -> None:
    reference, live = np.array([50, 30, 20]), np.array([20, 30, 50])
    r, c = reference / 100, live / 100
    assert psi(reference, live, 1e-4) == pytest.approx(float(np.sum((c - r) * np.log(c / r))))
    assert psi(reference, reference, 1e-4) == 0.0
    value = psi([10, 0], [5, 5], 1e-4)  # an empty reference bin: large, but finite
    assert np.isfinite(value)
    assert value > 2


def test_small_window_uses_ks_like_scipy() -> None:
    live = RNG.normal(100.0, 20.0, 600)
    result = numeric_drift("text_length", REFERENCE, live, CONFIG)
    expected = ks_2samp(REFERENCE.sample, live)
    assert result.method == "ks"
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.drifted is False
    assert result.severity is Severity.none
    assert result.gauge_value == result.statistic


def test_large_window_uses_wasserstein_normalized_by_the_reference_spread() -> None:
    live = RNG.normal(130.0, 20.0, 3000)  # shifted by 1.5 standard deviations
    result = numeric_drift("text_length", REFERENCE, live, CONFIG)
    sample = np.asarray(REFERENCE.sample)
    expected = wasserstein_distance(sample, live) / np.std(sample)
    assert result.method == "wasserstein"
    assert result.statistic == pytest.approx(expected)
    assert result.statistic == pytest.approx(1.5, abs=0.15)
    assert result.drifted is True
    assert result.severity is Severity.major
    assert result.psi == pytest.approx(
        psi(REFERENCE.histogram.counts, REFERENCE.histogram.bin(live), 1e-4)
    )


def test_numeric_windows_below_the_minimum_get_no_verdict() -> None:
    result = numeric_drift("confidence", REFERENCE, RNG.normal(500, 1, 499), CONFIG)
    assert result.severity is Severity.insufficient_data
    assert result.severity.level == -1
    assert (result.statistic, result.psi, result.drifted, result.method) == (None, None, None, None)


PRIOR = {"a": 0.5, "b": 0.3, "c": 0.2}


def _labels(counts: dict[str, int]) -> list[str]:
    return [label for label, n in counts.items() for _ in range(n)]


def test_small_categorical_window_uses_chi_squared_like_scipy() -> None:
    counts = {"a": 240, "b": 200, "c": 160}
    result = categorical_drift("predicted_class", PRIOR, _labels(counts), CONFIG)
    expected = chisquare([240, 200, 160], [300, 180, 120])
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-3)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-3)
    assert result.drifted is True
    assert result.gauge_value == pytest.approx(1 - expected.pvalue)


def test_large_categorical_window_uses_jensen_shannon() -> None:
    counts = {"a": 1000, "b": 600, "c": 400}
    result = categorical_drift("predicted_class", PRIOR, _labels(counts), CONFIG)
    assert result.method == "jensenshannon"
    assert result.statistic == pytest.approx(0.0, abs=1e-3)
    assert result.severity is Severity.none
    shifted = categorical_drift(
        "predicted_class", PRIOR, _labels({"a": 400, "b": 600, "c": 800, "d": 200}), CONFIG
    )
    ref = np.array([0.5, 0.3, 0.2, 0.0]) + np.array([0, 0, 0, 1e-4])
    assert shifted.statistic == pytest.approx(
        jensenshannon(ref / ref.sum(), [0.2, 0.3, 0.4, 0.1]), rel=1e-3
    )
    assert shifted.severity is Severity.major  # an unseen category: finite, major PSI


def test_categorical_windows_below_the_minimum_get_no_verdict() -> None:
    result = categorical_drift("predicted_class", PRIOR, ["a"] * 10, CONFIG)
    assert result.severity is Severity.insufficient_data


def test_share_drift_compares_the_mean_rate_with_the_reference_share() -> None:
    same = share_drift("oov_rate", 0.02, RNG.uniform(0.0, 0.04, 800), CONFIG)
    assert same.severity is Severity.none
    assert same.window_mean == pytest.approx(0.02, abs=0.003)
    moved = share_drift("oov_rate", 0.02, np.full(800, 0.2), CONFIG)
    assert moved.statistic == pytest.approx(jensenshannon([0.98, 0.02], [0.8, 0.2]))
    assert moved.severity is Severity.major
    assert share_drift("oov_rate", 0.02, [0.1] * 3, CONFIG).severity is Severity.insufficient_data


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.05, Severity.none),
        (0.0999, Severity.none),
        (0.1, Severity.moderate),
        (0.2499, Severity.moderate),
        (0.25, Severity.major),
    ],
)
def test_severity_is_the_psi_band(value: float, expected: Severity) -> None:
    assert severity_of(value, CONFIG) is expected


def test_overall_severity_is_the_worst_judged_feature() -> None:
    small = numeric_drift("x", REFERENCE, [1.0], CONFIG)
    calm = numeric_drift("y", REFERENCE, RNG.normal(100.0, 20.0, 600), CONFIG)
    assert overall_severity([small]) is Severity.insufficient_data
    assert overall_severity([small, calm]) is Severity.none


def test_each_verdict_carries_the_two_distributions_psi_compares() -> None:
    live = RNG.normal(130.0, 20.0, 3000)
    numeric = numeric_drift("text_length", REFERENCE, live, CONFIG)
    edges = REFERENCE.histogram.edges
    assert len(numeric.bins) == len(edges) - 1
    assert numeric.bins[0].label == f"{edges[0]:g}-{edges[1]:g}"
    counts = np.asarray(REFERENCE.histogram.counts, dtype=np.float64)
    assert [b.reference for b in numeric.bins] == pytest.approx(counts / counts.sum(), abs=1e-6)
    window = np.asarray(REFERENCE.histogram.bin(live), dtype=np.float64)
    assert [b.window for b in numeric.bins] == pytest.approx(window / window.sum(), abs=1e-6)
    # The window moved up: more of it than of the reference sits above the reference mean.
    upper = [b for b in numeric.bins if float(b.label.split("-")[0]) >= 100.0]
    assert sum(b.window for b in upper) > sum(b.reference for b in upper)

    classes = categorical_drift("predicted_class", PRIOR, _labels({"a": 240, "b": 360}), CONFIG)
    assert [(b.label, b.window) for b in classes.bins] == [("a", 0.4), ("b", 0.6), ("c", 0.0)]
    assert [b.reference for b in classes.bins] == pytest.approx([0.5, 0.3, 0.2], abs=1e-3)

    rate = share_drift("oov_rate", 0.02, np.full(800, 0.2), CONFIG)
    assert [(b.label, b.reference, b.window) for b in rate.bins] == [
        ("rest", 0.98, 0.8),
        ("oov_rate", 0.02, 0.2),
    ]
    assert share_drift("oov_rate", 0.02, [0.1] * 3, CONFIG).bins == []
