"""The ticket generator: determinism, realism of the task, and the drift control."""

import numpy as np
import pytest

from server.agents.classifier import TicketClassifier
from server.agents.data.generator import GENERATED_LABELS, generate_tickets
from server.agents.data.shift import BASE_PRIOR, DRIFTED_PRIOR, DriftSpec
from server.tests.unit.agents.support import TrainedRun


def test_same_seed_same_data_and_other_seed_other_data() -> None:
    first, again, other = (
        generate_tickets(500, 3),
        generate_tickets(500, 3),
        generate_tickets(500, 4),
    )
    assert first == again
    assert first.fingerprint() == again.fingerprint()
    assert first.fingerprint() != other.fingerprint()


def test_rows_carry_labels_and_metadata() -> None:
    data = generate_tickets(2000, 5)
    assert len(data) == 2000
    assert set(data.labels) == set(GENERATED_LABELS)
    assert {"en-US", "en-GB", "en-IN", "es-US"} == set(data.segments)
    assert {"email", "chat", "web_form", "phone"} == set(data.channels)
    assert {"free", "pro", "enterprise"} == set(data.tiers)
    assert all(text.strip() for text in data.texts)


def test_a_good_model_scores_well_but_not_perfectly(trained_run: TrainedRun) -> None:
    metrics = trained_run.result.metrics
    assert 0.85 <= metrics.macro_f1 <= 0.95
    assert metrics.macro_auc < 0.995


def test_drift_moves_class_mix_length_and_vocabulary(classifier: TicketClassifier) -> None:
    base = generate_tickets(3000, 21)
    drifted = generate_tickets(3000, 21, drift=DriftSpec(1.0))
    share = {data: data.labels.count("technical") / len(data) for data in (base, drifted)}
    assert share[drifted] > share[base] + 0.1
    lengths = {data: np.mean([len(t) for t in data.texts]) for data in (base, drifted)}
    assert lengths[drifted] > 1.5 * lengths[base]
    assert classifier.oov_rate(drifted.texts) > classifier.oov_rate(base.texts) + 0.02


def test_drift_strength_interpolates_the_class_prior() -> None:
    half = DriftSpec(0.5).class_prior()
    for label in BASE_PRIOR:
        assert half[label] == pytest.approx((BASE_PRIOR[label] + DRIFTED_PRIOR[label]) / 2)
    assert DriftSpec(0.0).class_prior() == pytest.approx(BASE_PRIOR)


def test_drift_lowers_a_trained_models_quality(classifier: TicketClassifier) -> None:
    def accuracy(strength: float) -> float:
        data = generate_tickets(1500, 8, drift=DriftSpec(strength))
        predicted = classifier.predict_proba(data.texts).argmax(axis=1)
        return float(
            np.mean(
                [classifier.labels[i] == y for i, y in zip(predicted, data.labels, strict=True)]
            )
        )

    assert accuracy(1.0) < accuracy(0.0) - 0.1


@pytest.mark.parametrize(
    "spec", [{"strength": 1.5}, {"strength": -0.1}, {"extra_label_noise": 1.0}]
)
def test_drift_spec_refuses_out_of_range_values(spec: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="within"):
        DriftSpec(**spec)
