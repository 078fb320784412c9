"""Fixtures of the agents tests: small generated data, one model trained per session."""

from pathlib import Path

import pytest

from server.agents.artifacts.store import LocalArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.data.dataset import TicketDataset
from server.agents.data.generator import GENERATED_LABELS, generate_tickets
from server.agents.pipeline.run import RunConfig, run_training
from server.agents.training.model import TrainedModel, fit_model
from server.agents.training.split import split_dataset
from server.config import GateConfig, TrainingConfig
from server.tests.unit.agents.support import PROVENANCE, TrainedRun

ROWS = 4000
SEED = 11
MAX_TEXT_CHARS = 2000


@pytest.fixture(scope="session")
def training_config() -> TrainingConfig:
    return TrainingConfig(seed=SEED)


@pytest.fixture(scope="session")
def run_config(training_config: TrainingConfig) -> RunConfig:
    return RunConfig(
        model_name="ticket-triage",
        labels=GENERATED_LABELS,
        max_text_chars=MAX_TEXT_CHARS,
        training=training_config,
        gates=GateConfig(),
    )


@pytest.fixture(scope="session")
def dataset() -> TicketDataset:
    return generate_tickets(ROWS, SEED)


@pytest.fixture(scope="session")
def trained_run(
    run_config: RunConfig, dataset: TicketDataset, tmp_path_factory: pytest.TempPathFactory
) -> TrainedRun:
    store = LocalArtifactStore(tmp_path_factory.mktemp("artifacts"))
    progress: list[tuple[float, str]] = []
    result = run_training(
        run_config,
        dataset,
        store,
        version=1,
        on_progress=lambda fraction, stage: progress.append((fraction, stage)),
        provenance=PROVENANCE,
        data_source="generated",
    )
    return TrainedRun(run_config, dataset, store, result, progress)


@pytest.fixture(scope="session")
def classifier(trained_run: TrainedRun) -> TicketClassifier:
    return TicketClassifier.load(trained_run.store, trained_run.config.model_name, 1)


@pytest.fixture(scope="session")
def version_dir(trained_run: TrainedRun) -> Path:
    return trained_run.store.path(trained_run.config.model_name, 1)


@pytest.fixture(scope="session")
def trained_model(dataset: TicketDataset, training_config: TrainingConfig) -> TrainedModel:
    """A scikit-learn model fitted directly, the reference for runtime parity tests."""
    split = split_dataset(dataset, 0.2, 0.1, SEED)
    return fit_model(
        dataset.take(split.train.tolist()),
        dataset.take(split.calibration.tolist()),
        training_config,
        MAX_TEXT_CHARS,
    )
