"""Every validation gate, failing and passing on purpose-built data."""

import numpy as np
import pytest

from server.agents.numeric import FloatArray
from server.agents.training.gates import (
    bias_gate,
    champion_gate,
    class_precision_gate,
    class_recall_gate,
    macro_auc_gate,
    macro_f1_gate,
    max_abs_difference,
    parity_gate,
    quality_gates,
)
from server.agents.training.metrics import EvaluationReport, evaluate, segment_report
from server.config import GateConfig

LABELS = ("a", "b", "c")
CONFIG = GateConfig(
    min_macro_f1=0.8,
    min_macro_auc=0.9,
    min_class_precision=0.7,
    min_class_recall=0.7,
    champion_margin=0.02,
    max_segment_recall_gap=0.1,
    min_segment_size=20,
    parity_tolerance=1e-5,
)
TRUTH = [label for label in LABELS for _ in range(100)]


def _proba(predicted: list[str], confidence: float = 0.9) -> FloatArray:
    """Probabilities that put `confidence` on each predicted label."""
    rest = (1 - confidence) / (len(LABELS) - 1)
    proba = np.full((len(predicted), len(LABELS)), rest)
    proba[np.arange(len(predicted)), [LABELS.index(p) for p in predicted]] = confidence
    return proba


def _report(predicted: list[str]) -> EvaluationReport:
    return evaluate(TRUTH, _proba(predicted), LABELS)


PERFECT = _report(TRUTH)
# One wrong in three for every class: macro-F1 about 0.67.
POOR = _report([LABELS[(LABELS.index(y) + (i % 3 == 0)) % 3] for i, y in enumerate(TRUTH)])


def test_macro_f1_gate() -> None:
    assert macro_f1_gate(PERFECT, CONFIG).passed
    failed = macro_f1_gate(POOR, CONFIG)
    assert not failed.passed
    assert failed.value == pytest.approx(POOR.macro_f1)
    assert failed.threshold == 0.8
    assert f"{0.8 - POOR.macro_f1:.4f} below the minimum 0.8000" in failed.message


def test_macro_auc_gate() -> None:
    assert macro_auc_gate(PERFECT, CONFIG).passed
    rng = np.random.default_rng(0)
    noise = evaluate(TRUTH, rng.dirichlet(np.ones(3), size=len(TRUTH)), LABELS)
    failed = macro_auc_gate(noise, CONFIG)
    assert not failed.passed
    assert "below the minimum 0.9000" in failed.message


def test_class_gates_name_the_weak_class_and_the_shortfall() -> None:
    # Half of "c" is predicted as "a": recall of c and precision of a drop.
    predicted = ["a" if y == "c" and i % 2 else y for i, y in enumerate(TRUTH)]
    report = _report(predicted)
    recall = class_recall_gate(report, CONFIG)
    precision = class_precision_gate(report, CONFIG)
    assert not recall.passed
    assert recall.value == pytest.approx(0.5)
    assert "c 0.5000 (short by 0.2000)" in recall.message
    assert not precision.passed
    assert "a 0.6667 (short by 0.0333)" in precision.message
    assert class_recall_gate(PERFECT, CONFIG).passed
    assert class_precision_gate(PERFECT, CONFIG).passed


def test_champion_gate() -> None:
    worse = champion_gate(POOR, PERFECT, CONFIG)
    assert not worse.passed
    assert worse.threshold == -0.02
    assert worse.value == pytest.approx(POOR.macro_f1 - 1.0)
    assert "below the champion's 1.0000" in worse.message
    assert champion_gate(PERFECT, POOR, CONFIG).passed
    slightly = PERFECT.model_copy(update={"macro_f1": 0.99})
    assert champion_gate(slightly, PERFECT, CONFIG).passed  # within the 0.02 margin
    first = champion_gate(POOR, None, CONFIG)
    assert first.passed
    assert first.value is None


def _segments(wrong_in_b: int, size_c: int = 10) -> tuple[list[str], list[str], list[str]]:
    """Segment "x" all right, "y" with `wrong_in_b` mistakes in 60 rows, small "z"."""
    truth, predicted, segments = [], [], []
    for segment, rows, wrong in (("x", 60, 0), ("y", 60, wrong_in_b), ("z", size_c, size_c)):
        for i in range(rows):
            label = LABELS[i % 3]
            truth.append(label)
            predicted.append(LABELS[(i + 1) % 3] if i < wrong else label)
            segments.append(segment)
    return truth, predicted, segments


def test_bias_gate_fails_on_a_large_recall_gap() -> None:
    report = segment_report(*_segments(wrong_in_b=15), min_segment_size=20)
    result = bias_gate(report, CONFIG)
    assert not result.passed
    assert result.value == pytest.approx(0.25)
    assert "exceeds 0.1000 by 0.1500" in result.message
    assert "x 1.0000 vs y 0.7500" in result.message


def test_bias_gate_reports_but_does_not_judge_small_groups() -> None:
    # "z" is entirely wrong but has 10 rows, below the minimum of 20.
    report = segment_report(*_segments(wrong_in_b=3), min_segment_size=20)
    result = bias_gate(report, CONFIG)
    assert result.passed
    assert "reported, not judged: z (10 rows)" in result.message
    small = next(s for s in report.segments if s.segment == "z")
    assert not small.judged
    assert small.macro_recall == 0.0


def test_bias_gate_with_a_single_judged_segment_passes_unjudged() -> None:
    report = segment_report(["a"] * 30, ["a"] * 30, ["only"] * 30, min_segment_size=20)
    result = bias_gate(report, CONFIG)
    assert result.passed
    assert result.value is None


def test_parity_gate() -> None:
    proba = _proba(TRUTH)
    assert parity_gate(max_abs_difference(proba, proba.copy()), CONFIG).passed
    nudged = proba.copy()
    nudged[7, 1] += 3e-5
    failed = parity_gate(max_abs_difference(proba, nudged), CONFIG)
    assert not failed.passed
    assert failed.value == pytest.approx(3e-5)
    assert "exceeds 1e-05 by 2.00e-05" in failed.message
    assert max_abs_difference(proba, proba[:5]) == float("inf")


def test_quality_gates_cover_every_gate_but_parity() -> None:
    bias = segment_report(TRUTH, TRUTH, ["x"] * len(TRUTH), min_segment_size=20)
    names = [gate.name for gate in quality_gates(PERFECT, bias, None, CONFIG)]
    assert names == ["macro_f1", "macro_auc", "class_precision", "class_recall", "champion", "bias"]
