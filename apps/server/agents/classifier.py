"""`TicketClassifier`: a verified model version that scores batches of ticket texts.

A batch is normalized, featurized into one sparse matrix, and scored by one sparse-dense
product (on the CPU, or on a GPU when enabled and present), then calibrated by softmax with
the model's temperature. The object is read-only after loading and safe to share between
threads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from server.agents.artifacts.codec import decode_model
from server.agents.artifacts.manifest import ArtifactManifest
from server.agents.artifacts.store import ArtifactStore, VerifiedArtifact, read_verified
from server.agents.numeric import FloatArray, softmax
from server.agents.runtime.backend import LinearScorer, select_scorer
from server.agents.runtime.featurizer import TfidfFeaturizer
from server.agents.runtime.model import LinearTextModel
from server.agents.text import normalize_texts

log = structlog.get_logger(__name__)


# Answers carry 6 decimals: differences below that are float noise, and JSON stays short.
PROBABILITY_DECIMALS = 6
OOV_DECIMALS = 4


@dataclass(frozen=True, slots=True)
class Prediction:
    """The classification of one text: the one place a label is chosen from probabilities."""

    label: str
    confidence: float
    probabilities: dict[str, float]
    version: int
    oov_rate: float
    """Share of the text's word tokens unknown to the model (for drift monitoring)."""


class TicketClassifier:
    """Scores ticket texts with one model version."""

    def __init__(
        self,
        model: LinearTextModel,
        *,
        name: str,
        version: int,
        manifest: ArtifactManifest | None = None,
        use_gpu: bool = False,
    ) -> None:
        self.model = model
        self.name = name
        self.version = version
        self.manifest = manifest
        self._featurizer = TfidfFeaturizer.from_model(model)
        self._scorer: LinearScorer = select_scorer(model.weights, model.intercept, use_gpu)

    @classmethod
    def from_artifact(
        cls, artifact: VerifiedArtifact, *, use_gpu: bool = False
    ) -> TicketClassifier:
        """Build a classifier from a verified artifact's bytes."""
        classifier = cls(
            decode_model(artifact.files),
            name=artifact.manifest.name,
            version=artifact.manifest.version,
            manifest=artifact.manifest,
            use_gpu=use_gpu,
        )
        log.info(
            "classifier.loaded",
            model_name=classifier.name,
            model_version=classifier.version,
            features=classifier._featurizer.n_features,
            device=classifier.device,
        )
        return classifier

    @classmethod
    def load(
        cls,
        source: str | os.PathLike[str] | ArtifactStore,
        name: str | None = None,
        version: int | None = None,
        *,
        use_gpu: bool = False,
        expected_manifest_sha256: str | None = None,
    ) -> TicketClassifier:
        """Load and verify a version from a store (`name` and `version` required) or from
        a version directory. Raises `ArtifactNotFoundError` or `ArtifactIntegrityError`
        (any file tampered with, missing or added) before anything is parsed.
        """
        if isinstance(source, str | os.PathLike):
            artifact = read_verified(
                Path(source), expected_manifest_sha256=expected_manifest_sha256
            )
        else:
            if name is None or version is None:
                raise ValueError("loading from a store needs the model name and version")
            artifact = source.open(name, version, expected_manifest_sha256=expected_manifest_sha256)
        return cls.from_artifact(artifact, use_gpu=use_gpu)

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels, in the column order of `predict_proba`."""
        return self.model.spec.labels

    @property
    def device(self) -> str:
        """Where the linear scoring runs: `cpu` or `cuda`."""
        return self._scorer.device

    def normalize(self, texts: Sequence[str]) -> list[str]:
        """The texts as the model sees them (NFC, no control characters, length cap)."""
        return normalize_texts(list(texts), self.model.spec.max_text_chars)

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Calibrated probabilities, one row per text, one column per label."""
        features = self._featurizer.transform(self.normalize(texts))
        return softmax(self._scorer(features), self.model.spec.temperature)

    def predict_proba_with_oov(self, texts: Sequence[str]) -> tuple[FloatArray, list[float]]:
        """`predict_proba` and, per text, the share of its word tokens unknown to the model
        (for drift monitoring), from one normalization and tokenization."""
        features, oov = self._featurizer.transform_with_oov(self.normalize(texts))
        return softmax(self._scorer(features), self.model.spec.temperature), oov

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Label, confidence, probabilities and unknown-token share of each text, scored as
        one batch. Every consumer (sync predictions, batch jobs, shadow scoring, metrics)
        takes its label from here."""
        proba, oov_rates = self.predict_proba_with_oov(texts)
        labels = self.labels
        best = proba.argmax(axis=1)
        rows = proba.round(PROBABILITY_DECIMALS).tolist()  # one conversion, then plain floats
        return [
            Prediction(
                label=labels[int(b)],
                confidence=row[int(b)],
                probabilities=dict(zip(labels, row, strict=True)),
                version=self.version,
                oov_rate=round(oov_rate, OOV_DECIMALS),
            )
            for b, row, oov_rate in zip(best, rows, oov_rates, strict=True)
        ]

    def oov_rate(self, texts: Sequence[str]) -> float:
        """Share of word tokens unknown to the model, for drift monitoring."""
        return self._featurizer.oov_rate(self.normalize(texts))
