"""One training run: validate data, train, evaluate, package, load back, gate.

The run talks to no database. It stores the artifact as version `version` in the store and
returns the result; the caller registers the version (as a candidate when `passed`, as failed
otherwise) and decides what to promote.

Failed runs keep their artifact: parity can only be judged on a stored artifact, and a
reviewer needs the model card and the metrics to see why it failed. The registry must never
promote a version whose run did not pass; a caller that wants no trace calls
`store.delete(name, version)`. Invalid data raises `DataValidationError` before anything is
stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Self

import structlog
from pydantic import BaseModel, ConfigDict

from server.agents.artifacts.lineage import UNRECORDED, BuildProvenance, Lineage
from server.agents.artifacts.manifest import ArtifactManifest, TrainingDataInfo
from server.agents.artifacts.package import build_reference, package_model
from server.agents.artifacts.store import ArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.data.dataset import TicketDataset
from server.agents.data.validation import validate_dataset
from server.agents.errors import DataValidationError
from server.agents.text import normalize_texts
from server.agents.training.export import export_model
from server.agents.training.gates import (
    GateResult,
    max_abs_difference,
    parity_gate,
    quality_gates,
)
from server.agents.training.metrics import EvaluationReport, evaluate, segment_report
from server.agents.training.model import WORD_PATTERN, fit_model
from server.agents.training.progress import ProgressCallback, ignore_progress, sub_progress
from server.agents.training.split import split_dataset
from server.config import GateConfig, Settings, TrainingConfig

log = structlog.get_logger(__name__)

_NOT_HYPERPARAMETERS = {"max_reported_issues", "min_rows_per_class", "reference_sample_size"}
"""Training settings that judge the data or shape the drift reference, not the model."""


class RunConfig(BaseModel):
    """Everything a run needs besides data, store and version.

    `labels` and `max_text_chars` are the model's own (`APP_MODEL_LABELS`,
    `APP_MAX_TEXT_CHARS`, shared with serving); `training` and `gates` are the settings'
    groups as they are.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_name: str
    labels: tuple[str, ...]
    max_text_chars: int
    training: TrainingConfig = TrainingConfig()
    gates: GateConfig = GateConfig()

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The run configuration that `settings` describes."""
        return cls(
            model_name=settings.model_name,
            labels=tuple(sorted(settings.model_labels)),
            max_text_chars=settings.max_text_chars,
            training=settings.training,
            gates=settings.gates,
        )

    def hyperparameters(self) -> dict[str, Any]:
        """The values that shape the model, as recorded in the artifact's manifest."""
        shaping = self.training.model_dump(exclude=_NOT_HYPERPARAMETERS)
        return shaping | {"max_text_chars": self.max_text_chars, "token_pattern": WORD_PATTERN}


class TrainingResult(BaseModel):
    """The outcome of a run: where the version is stored and whether it may be promoted."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    passed: bool
    gates: list[GateResult]
    metrics: EvaluationReport
    champion_metrics: EvaluationReport | None
    champion_version: int | None
    manifest: ArtifactManifest
    manifest_sha256: str
    artifact_uri: str
    duration_s: float

    @property
    def failed_gates(self) -> list[GateResult]:
        """The gates that did not pass."""
        return [gate for gate in self.gates if not gate.passed]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def run_training(
    config: RunConfig,
    data: TicketDataset,
    store: ArtifactStore,
    *,
    version: int,
    champion: TicketClassifier | None = None,
    on_progress: ProgressCallback = ignore_progress,
    provenance: BuildProvenance = UNRECORDED,
    data_source: str = "dataset",
    clock: Callable[[], datetime] = _utc_now,
) -> TrainingResult:
    """Train version `version` of `config.model_name` on `data` and judge it.

    `champion` is the currently served classifier (or None); it is scored on the same
    holdout. Raises `DataValidationError` for unusable data and `ArtifactExistsError` if
    the version is taken; a model that fails a gate is a result, not an exception.
    `provenance` (code revision, dependency lock) goes into the manifest's lineage with the
    seed and the whole of `config`.
    """
    started = time.perf_counter()
    tc, name = config.training, config.model_name
    log.info("training.started", model_name=name, model_version=version, rows=len(data))
    on_progress(0.0, "validating")
    report = validate_dataset(
        data, config.labels, tc.min_rows_per_class, tc.max_reported_issues, data_source
    )
    if not report.ok:
        log.warning("training.data_refused", model_name=name, issues=report.issues_total)
        raise DataValidationError(report)

    split = split_dataset(data, tc.holdout_fraction, tc.calibration_fraction, tc.seed)
    train, calibration, holdout = (
        data.take(split.train.tolist()),
        data.take(split.calibration.tolist()),
        data.take(split.holdout.tolist()),
    )
    trained = fit_model(
        train, calibration, tc, config.max_text_chars, sub_progress(on_progress, 0.05, 0.6)
    )

    on_progress(0.6, "evaluating")
    holdout_proba = trained.predict_proba(holdout.texts)
    metrics = evaluate(holdout.labels, holdout_proba, trained.labels)
    predicted = [trained.labels[i] for i in holdout_proba.argmax(axis=1)]
    bias = segment_report(
        holdout.labels, predicted, holdout.segments, config.gates.min_segment_size
    )
    champion_metrics: EvaluationReport | None = None
    absent = "no champion to compare with"
    if champion is not None and set(champion.labels) == set(trained.labels):
        champion_metrics = evaluate(
            holdout.labels, champion.predict_proba(holdout.texts), champion.labels
        )
    elif champion is not None:
        absent = f"not judged: champion v{champion.version} predicts other labels"

    on_progress(0.7, "packaging")
    model = export_model(trained)
    reference = build_reference(
        model,
        train_texts=normalize_texts(train.texts, config.max_text_chars),
        train_labels=train.labels,
        holdout_texts=normalize_texts(holdout.texts, config.max_text_chars),
        holdout_proba=holdout_proba,
        sample_size=tc.reference_sample_size,
        seed=tc.seed,
    )
    manifest, files = package_model(
        model,
        name=name,
        version=version,
        created_at=clock(),
        lineage=Lineage(
            **provenance.model_dump(), seed=tc.seed, training_config=config.model_dump(mode="json")
        ),
        training_data=TrainingDataInfo(
            sha256=data.fingerprint(),
            rows=len(data),
            source=data_source,
            class_counts=report.class_counts,
            train_rows=len(train),
            calibration_rows=len(calibration),
            holdout_rows=len(holdout),
        ),
        hyperparameters=config.hyperparameters(),
        metrics=metrics,
        bias_report=bias,
        reference=reference,
    )
    ref = store.save(manifest, files)

    # Parity: load the stored version exactly as serving does (verified bytes, runtime
    # featurizer, CPU scorer) and compare its probabilities with the trained pipeline's.
    on_progress(0.8, "verifying")
    served = TicketClassifier.load(
        store, name, version, expected_manifest_sha256=ref.manifest_sha256
    )
    parity = max_abs_difference(served.predict_proba(holdout.texts), holdout_proba)

    gates = [
        *quality_gates(
            metrics, bias, champion_metrics, config.gates, champion_absent_reason=absent
        ),
        parity_gate(parity, config.gates),
    ]
    passed = all(gate.passed for gate in gates)
    duration = time.perf_counter() - started
    log.info(
        "training.completed",
        model_name=name,
        model_version=version,
        passed=passed,
        failed_gates=[gate.name for gate in gates if not gate.passed],
        macro_f1=round(metrics.macro_f1, 4),
        parity=parity,
        duration_s=round(duration, 2),
    )
    on_progress(1.0, "completed")
    return TrainingResult(
        name=name,
        version=version,
        passed=passed,
        gates=gates,
        metrics=metrics,
        champion_metrics=champion_metrics,
        champion_version=champion.version if champion is not None else None,
        manifest=manifest,
        manifest_sha256=ref.manifest_sha256,
        artifact_uri=ref.uri,
        duration_s=duration,
    )
