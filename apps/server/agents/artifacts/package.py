"""Assemble a version's files and manifest from a trained model and its evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from server.agents.artifacts.card import render_model_card
from server.agents.artifacts.codec import encode_model
from server.agents.artifacts.lineage import Lineage
from server.agents.artifacts.manifest import (
    MODEL_CARD_FILE,
    ArtifactManifest,
    FileDigest,
    TrainingDataInfo,
    signature_for,
)
from server.agents.artifacts.reference import (
    CONFIDENCE_EDGES,
    OOV_EDGES,
    Distribution,
    ReferenceStatistics,
    shares,
)
from server.agents.numeric import FloatArray
from server.agents.runtime.featurizer import TfidfFeaturizer
from server.agents.runtime.model import LinearTextModel
from server.agents.training.metrics import BiasReport, EvaluationReport


def build_reference(
    model: LinearTextModel,
    *,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    holdout_texts: Sequence[str],
    holdout_proba: FloatArray,
    sample_size: int,
    seed: int,
) -> ReferenceStatistics:
    """Reference statistics from normalized training and holdout texts.

    The out-of-vocabulary rate is measured on the holdout, because training texts are by
    construction mostly in the vocabulary; predictions and confidences are holdout ones,
    as live traffic only ever has predictions.
    """
    labels = model.spec.labels
    predicted = [labels[i] for i in holdout_proba.argmax(axis=1)]
    featurizer = TfidfFeaturizer.from_model(model)
    return ReferenceStatistics(
        rows=len(holdout_texts),
        text_length=Distribution.of(
            [len(text) for text in train_texts], edges=None, sample_size=sample_size, seed=seed
        ),
        oov_rate=featurizer.oov_rate(holdout_texts),
        oov_rates=Distribution.of(
            featurizer.oov_rates(holdout_texts),
            edges=OOV_EDGES,
            sample_size=sample_size,
            seed=seed,
        ),
        label_prior=shares(train_labels, labels),
        predicted_prior=shares(predicted, labels),
        confidence=Distribution.of(
            np.asarray(holdout_proba.max(axis=1)),
            edges=CONFIDENCE_EDGES,
            sample_size=sample_size,
            seed=seed,
        ),
    )


def package_model(
    model: LinearTextModel,
    *,
    name: str,
    version: int,
    created_at: datetime,
    lineage: Lineage,
    training_data: TrainingDataInfo,
    hyperparameters: dict[str, Any],
    metrics: EvaluationReport,
    bias_report: BiasReport,
    reference: ReferenceStatistics,
) -> tuple[ArtifactManifest, dict[str, bytes]]:
    """The manifest and the files (model files and model card) of one version."""
    files = encode_model(model)
    manifest = ArtifactManifest(
        name=name,
        version=version,
        created_at=created_at,
        git_commit=lineage.code.commit,
        model_format=model.spec.format,
        labels=list(model.spec.labels),
        files={file: FileDigest.of(data) for file, data in files.items()},
        training_data=training_data,
        hyperparameters=hyperparameters,
        metrics=metrics,
        bias_report=bias_report,
        signature=signature_for(list(model.spec.labels), model.spec.max_text_chars),
        reference=reference,
        lineage=lineage,
    )
    # The card is rendered from the manifest, then listed in it like every other file.
    files[MODEL_CARD_FILE] = render_model_card(manifest).encode()
    digests = {**manifest.files, MODEL_CARD_FILE: FileDigest.of(files[MODEL_CARD_FILE])}
    return manifest.model_copy(update={"files": digests}), files
