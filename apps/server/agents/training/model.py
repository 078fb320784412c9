"""The scikit-learn text pipeline: TF-IDF words and bigrams, multinomial logistic regression,
and a temperature that calibrates its probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import structlog
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from server.agents.data.dataset import TicketDataset
from server.agents.numeric import FloatArray, softmax
from server.agents.text import normalize_texts
from server.agents.training.calibration import fit_temperature
from server.agents.training.progress import ProgressCallback, ignore_progress
from server.config import TrainingConfig

log = structlog.get_logger(__name__)

WORD_PATTERN = r"(?u)\b\w\w+\b"
"""Words of two or more word characters. Written out (not left to a library default) because
the inference runtime reimplements the tokenizer and must split text exactly the same way."""


def build_pipeline(config: TrainingConfig) -> Pipeline:
    """An unfitted pipeline with the hyperparameters of `config`.

    The vectorizer uses only options the inference runtime reimplements: lowercase, an
    explicit token pattern, word n-grams, smoothed idf and l2 norm (no sublinear tf, no
    accent stripping, no custom analyzer).
    """
    vectorizer = TfidfVectorizer(
        lowercase=True,
        token_pattern=WORD_PATTERN,
        ngram_range=(1, config.ngram_max),
        min_df=config.min_df,
        max_df=config.max_df,
        max_features=config.max_features,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=False,
        dtype=np.float64,
    )
    classifier = LogisticRegression(
        C=config.c, max_iter=config.max_iter, tol=config.tol, solver="lbfgs"
    )
    return Pipeline([("tfidf", vectorizer), ("classifier", classifier)])


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A fitted pipeline plus its calibration temperature; the reference for parity."""

    pipeline: Pipeline
    temperature: float
    labels: tuple[str, ...]
    max_text_chars: int

    @property
    def vectorizer(self) -> Any:
        """The fitted `TfidfVectorizer`."""
        return self.pipeline.named_steps["tfidf"]

    @property
    def classifier(self) -> Any:
        """The fitted `LogisticRegression`."""
        return self.pipeline.named_steps["classifier"]

    def logits(self, texts: Sequence[str]) -> FloatArray:
        """Uncalibrated class scores, one column per label (binary models get two columns)."""
        normalized = normalize_texts(list(texts), self.max_text_chars)
        scores = np.asarray(self.pipeline.decision_function(normalized), dtype=np.float64)
        if scores.ndim == 1:
            # A binary logistic regression scores only the positive class; softmax over
            # (0, z) equals its sigmoid, so two columns keep one code path everywhere.
            scores = np.column_stack([np.zeros_like(scores), scores])
        return scores

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Calibrated probabilities, one column per label in `labels` order."""
        return softmax(self.logits(texts), self.temperature)


def fit_model(
    train: TicketDataset,
    calibration: TicketDataset,
    config: TrainingConfig,
    max_text_chars: int,
    on_progress: ProgressCallback = ignore_progress,
) -> TrainedModel:
    """Fit the pipeline on `train`, then its temperature on `calibration`; texts are cut to
    `max_text_chars` after normalization."""
    on_progress(0.0, "fitting")
    pipeline = build_pipeline(config)
    pipeline.fit(normalize_texts(train.texts, max_text_chars), list(train.labels))
    labels = tuple(str(label) for label in pipeline.named_steps["classifier"].classes_)
    on_progress(0.85, "calibrating")
    uncalibrated = TrainedModel(pipeline, 1.0, labels, max_text_chars)
    index = {label: i for i, label in enumerate(labels)}
    targets = np.array([index[label] for label in calibration.labels], dtype=np.intp)
    temperature = fit_temperature(uncalibrated.logits(calibration.texts), targets)
    log.info(
        "training.model_fitted",
        rows=len(train),
        features=len(pipeline.named_steps["tfidf"].vocabulary_),
        iterations=int(np.max(pipeline.named_steps["classifier"].n_iter_)),
        temperature=round(temperature, 4),
    )
    on_progress(1.0, "calibrating")
    return TrainedModel(pipeline, temperature, labels, max_text_chars)
