"""The inference runtime against scikit-learn, and the classifier's behaviour."""

import io
import sys
import types

import numpy as np
import pytest
from structlog.testing import capture_logs

from server.agents.artifacts.codec import WEIGHTS_FILE, decode_model, encode_model
from server.agents.classifier import TicketClassifier
from server.agents.data.dataset import TicketDataset
from server.agents.data.generator import generate_tickets
from server.agents.errors import ArtifactFormatError
from server.agents.runtime.backend import CpuScorer, select_scorer
from server.agents.runtime.featurizer import TfidfFeaturizer
from server.agents.text import normalize_texts
from server.agents.training.export import export_model
from server.agents.training.model import TrainedModel, fit_model
from server.config import TrainingConfig

TRICKY = [
    "",
    "   ",
    "a b c",  # single letters are not tokens
    "Refund REFUND refund refund!!",
    "Café naïve ÉCOLE İstanbul straße",
    "my_invoice_2024 #123-456 e-mail",
    "帳單有錯誤 請退款",
    "emoji 😀 in the 💳 payment",
    "\x00control\u200bchars\ttab\nnewline",
    "invoice " * 3000,  # longer than the length cap
]


def _texts(trained: TrainedModel) -> list[str]:
    return TRICKY + list(generate_tickets(500, 77).texts)


def test_features_match_scikit_learn(trained_model: TrainedModel) -> None:
    texts = normalize_texts(_texts(trained_model), trained_model.max_text_chars)
    runtime = TfidfFeaturizer.from_model(export_model(trained_model)).transform(texts)
    reference = trained_model.vectorizer.transform(texts)
    assert runtime.shape == reference.shape
    assert np.max(np.abs(runtime.toarray() - reference.toarray())) <= 1e-12


def test_probabilities_match_the_trained_pipeline(trained_model: TrainedModel) -> None:
    model = decode_model(encode_model(export_model(trained_model)))
    classifier = TicketClassifier(model, name="ticket-triage", version=7)
    texts = _texts(trained_model)
    difference = np.max(
        np.abs(classifier.predict_proba(texts) - trained_model.predict_proba(texts))
    )
    assert difference <= 1e-5


def test_predictions_carry_label_probabilities_and_version(classifier: TicketClassifier) -> None:
    predictions = classifier.predict(["I was charged twice on my invoice", "my parcel is lost"])
    assert [p.label for p in predictions] == ["billing", "shipping"]
    for prediction in predictions:
        assert prediction.version == 1
        assert set(prediction.probabilities) == set(classifier.labels)
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert prediction.confidence == max(prediction.probabilities.values())
        assert 0.0 <= prediction.oov_rate <= 1.0


def test_batches_and_single_texts_score_the_same(classifier: TicketClassifier) -> None:
    texts = list(generate_tickets(64, 3).texts)
    batch = classifier.predict_proba(texts)
    one_by_one = np.vstack([classifier.predict_proba([text]) for text in texts])
    assert np.max(np.abs(batch - one_by_one)) <= 1e-12
    assert classifier.predict_proba([]).shape == (0, len(classifier.labels))
    assert classifier.predict([]) == []


def test_serving_applies_the_normalization_of_training(classifier: TicketClassifier) -> None:
    plain = classifier.predict_proba(["refund please"])
    disguised = classifier.predict_proba(["ref\u200bund\x00\nplease"])
    assert np.allclose(plain, disguised)


def test_a_pickled_array_is_refused_without_being_unpickled(trained_model: TrainedModel) -> None:
    files = encode_model(export_model(trained_model))
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"payload": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ArtifactFormatError, match="not a plain numeric array"):
        decode_model({**files, WEIGHTS_FILE: buffer.getvalue()})


def test_gpu_requested_without_cupy_falls_back_to_cpu_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, classifier: TicketClassifier
) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` fail
    with capture_logs() as logs:
        scorer = select_scorer(classifier.model.weights, classifier.model.intercept, use_gpu=True)
    assert isinstance(scorer, CpuScorer)
    warning = next(log for log in logs if log["event"] == "classifier.gpu_unavailable")
    assert warning["log_level"] == "warning"
    assert "cupy" in warning["reason"].lower()


def test_gpu_requested_without_a_device_falls_back(
    monkeypatch: pytest.MonkeyPatch, classifier: TicketClassifier
) -> None:
    fake = types.SimpleNamespace(
        cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 0))
    )
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with capture_logs() as logs:
        scorer = select_scorer(classifier.model.weights, classifier.model.intercept, use_gpu=True)
    assert scorer.device == "cpu"
    assert [log["reason"] for log in logs] == ["RuntimeError: no CUDA device"]


def test_cpu_is_used_silently_when_gpu_is_off(classifier: TicketClassifier) -> None:
    with capture_logs() as logs:
        scorer = select_scorer(classifier.model.weights, classifier.model.intercept, use_gpu=False)
    assert scorer.device == "cpu"
    assert logs == []


def test_binary_models_export_with_identical_probabilities(
    dataset: TicketDataset, training_config: TrainingConfig
) -> None:
    rows = [i for i, label in enumerate(dataset.labels) if label in ("billing", "refund")][:600]
    data = dataset.take(rows)
    trained = fit_model(data.take(range(0, 500)), data.take(range(500, 600)), training_config, 2000)
    classifier = TicketClassifier(export_model(trained), name="binary", version=1)
    assert classifier.labels == ("billing", "refund")
    texts = list(data.texts[:200])
    assert np.max(np.abs(classifier.predict_proba(texts) - trained.predict_proba(texts))) <= 1e-12
