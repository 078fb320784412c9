"""Small trained models for tests: each trained once per session, installed by copy.

Most tests that need a model need *a* model (a champion to serve, versions to cache or to
monitor), not a training run. Training one takes seconds and a suite needs dozens, so
`ModelCache` trains each kind once (a small generated dataset) and installs copies under
any version number into any store. Tests of training itself still train.
"""

from dataclasses import dataclass
from pathlib import Path

from server.agents.artifacts.store import (
    ArtifactRef,
    ArtifactStore,
    LocalArtifactStore,
    VerifiedArtifact,
)
from server.agents.classifier import TicketClassifier
from server.agents.data.generator import GENERATED_LABELS, generate_tickets
from server.agents.pipeline.run import RunConfig, run_training
from server.config import GateConfig, TrainingConfig

MODEL = "ticket-triage"
ROWS = 3000
"""Enough generated tickets for a model that passes every gate and labels plain tickets."""
SPLIT_SEED = 42
MAX_TEXT_CHARS = 2000  # the default of `APP_MAX_TEXT_CHARS`
"""The default `train_seed`: a training service run on `seed`'s data gives the same model."""


@dataclass(frozen=True)
class InstalledVersion:
    """A version copied into a store: where it is and what a registry records for it."""

    ref: ArtifactRef
    manifest: dict[str, object]
    metrics: dict[str, object]


class ModelCache:
    """Trained models keyed by the seed of their data, trained on first use."""

    def __init__(self, root: Path) -> None:
        self.store = LocalArtifactStore(root)

    def _trained(self, seed: int) -> int:
        """The cache's own version number for `seed`'s model, training it if needed."""
        version = seed + 1  # versions start at 1, seeds at 0
        if version not in self.store.versions(MODEL):
            config = RunConfig(
                model_name=MODEL,
                labels=GENERATED_LABELS,
                max_text_chars=MAX_TEXT_CHARS,
                training=TrainingConfig(seed=SPLIT_SEED),
                gates=GateConfig(),
            )
            result = run_training(
                config,
                generate_tickets(ROWS, seed),
                self.store,
                version=version,
                data_source="generated",
            )
            assert result.passed, [gate.message for gate in result.failed_gates]
        return version

    def artifact(self, seed: int = 1) -> VerifiedArtifact:
        """The files and manifest of the model trained on `seed`'s data, verified."""
        return self.store.open(MODEL, self._trained(seed))

    def classifier(self, seed: int = 1) -> TicketClassifier:
        """The model trained on `seed`'s data, loaded and verified."""
        return TicketClassifier.from_artifact(self.artifact(seed))

    def install(self, store: ArtifactStore, version: int, seed: int = 1) -> InstalledVersion:
        """Save `seed`'s model into `store` as `version` (its manifest says so, digests hold)."""
        artifact = self.artifact(seed)
        manifest = artifact.manifest.model_copy(update={"version": version})
        ref = store.save(manifest, artifact.files)
        return InstalledVersion(
            ref=ref,
            manifest=manifest.model_dump(mode="json"),
            metrics=manifest.metrics.model_dump(mode="json", exclude={"per_class"}),
        )
