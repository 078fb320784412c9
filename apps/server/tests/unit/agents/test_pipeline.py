"""`run_training` end to end: manifest, gates, progress, refusals, and the command line."""

from datetime import UTC, timedelta
from pathlib import Path

import numpy as np
import pytest

from server.agents.artifacts.manifest import MODEL_CARD_FILE, ArtifactManifest
from server.agents.artifacts.store import LocalArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.data.dataset import TicketDataset
from server.agents.data.generator import generate_tickets
from server.agents.data.shift import DriftSpec
from server.agents.errors import ArtifactExistsError, DataValidationError
from server.agents.pipeline.__main__ import main
from server.agents.pipeline.run import RunConfig, run_training
from server.agents.training.model import fit_model
from server.agents.training.split import split_dataset
from server.config import Settings, TrainingConfig
from server.tests.unit.agents.support import PROVENANCE, TrainedRun


def test_a_good_run_passes_every_gate(trained_run: TrainedRun) -> None:
    result = trained_run.result
    assert result.passed, [gate.message for gate in result.failed_gates]
    assert [gate.name for gate in result.gates] == [
        "macro_f1", "macro_auc", "class_precision", "class_recall", "champion", "bias", "parity",
    ]  # fmt: skip
    parity = result.gates[-1]
    assert parity.value is not None
    assert parity.value <= 1e-5


def test_manifest_records_what_the_version_is(trained_run: TrainedRun) -> None:
    manifest, data = trained_run.result.manifest, trained_run.data
    assert manifest.created_at.tzinfo is not None
    assert manifest.created_at.utcoffset() == UTC.utcoffset(None)
    assert manifest.git_commit == "0123abc"
    lineage = manifest.lineage
    assert lineage is not None
    assert lineage.code.commit == "0123abc"
    assert lineage.code.source == "image"
    assert lineage.dependency_lock_sha256 == "ab" * 32
    assert lineage.seed == trained_run.config.training.seed
    # The whole configuration, gates included, not only the model-shaping values.
    assert RunConfig.model_validate(lineage.training_config) == trained_run.config
    assert manifest.training_data.train_rows + manifest.training_data.calibration_rows + (
        manifest.training_data.holdout_rows
    ) == len(data)
    assert manifest.training_data.sha256 == data.fingerprint()
    assert manifest.training_data.rows == len(data)
    assert manifest.hyperparameters["ngram_max"] == 2
    assert manifest.labels == list(trained_run.config.labels)
    assert MODEL_CARD_FILE in manifest.files
    assert {"weights.npy", "idf.npy", "intercept.npy", "vocabulary.json", "model.json"} <= set(
        manifest.files
    )
    reference = manifest.reference
    assert sum(reference.label_prior.values()) == pytest.approx(1.0)
    assert sum(reference.confidence.histogram.counts) == reference.rows
    assert 0 < len(reference.text_length.sample) <= 500
    assert 0.0 <= reference.oov_rate < 0.2
    assert {s.segment for s in manifest.bias_report.segments} == set(data.segments)


def test_model_card_is_readable(version_dir: Path) -> None:
    card = (version_dir / MODEL_CARD_FILE).read_text(encoding="utf-8")
    assert card.startswith("# Model card: ticket-triage v1")
    assert "- Git commit: `0123abc` (from the image)" in card
    assert f"- Dependency lock sha256: `{'ab' * 32}`" in card
    assert "| refund |" in card
    assert "Segments (bias report)" in card


def test_progress_moves_forward_to_completion(trained_run: TrainedRun) -> None:
    fractions = [fraction for fraction, _ in trained_run.progress]
    assert fractions == sorted(fractions)
    assert trained_run.progress[0] == (0.0, "validating")
    assert trained_run.progress[-1] == (1.0, "completed")
    assert {"fitting", "evaluating", "packaging", "verifying"} <= {
        s for _, s in trained_run.progress
    }


def test_training_is_deterministic(dataset: TicketDataset, training_config: TrainingConfig) -> None:
    split = split_dataset(dataset, 0.2, 0.1, seed=1)
    train, calibration = (
        dataset.take(split.train.tolist()[:1500]),
        dataset.take(split.calibration.tolist()),
    )
    first, second = (fit_model(train, calibration, training_config, 2000) for _ in range(2))
    assert np.array_equal(first.classifier.coef_, second.classifier.coef_)
    assert first.temperature == second.temperature


def test_retraining_on_the_same_data_config_and_seed_gives_byte_identical_files(
    trained_run: TrainedRun, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path)
    first = trained_run.result.manifest
    later = first.created_at + timedelta(days=1)
    again = run_training(
        trained_run.config,
        trained_run.data,
        store,
        version=1,
        provenance=PROVENANCE,
        data_source="generated",
        clock=lambda: later,
    )
    original = trained_run.store.path(first.name, 1)
    retrained = store.path(first.name, 1)
    model_files = set(first.files) - {MODEL_CARD_FILE}
    assert model_files, "the manifest lists the model files"
    for name in sorted(model_files):
        assert (retrained / name).read_bytes() == (original / name).read_bytes(), name

    # Only the time of the run differs (and the card, which prints it): the manifests
    # agree on everything else.
    def timeless(manifest: ArtifactManifest) -> dict[str, object]:
        dumped = manifest.model_dump(mode="json", exclude={"created_at"})
        del dumped["files"][MODEL_CARD_FILE]
        return dumped

    assert timeless(again.manifest) == timeless(first)


def test_invalid_data_is_refused_and_nothing_is_stored(
    run_config: RunConfig, tmp_path: Path
) -> None:
    data = TicketDataset.from_columns(["charged twice", "  "], ["billing", "refund"])
    store = LocalArtifactStore(tmp_path)
    with pytest.raises(DataValidationError) as caught:
        run_training(run_config, data, store, version=1)
    assert {issue.code for issue in caught.value.report.issues} == {"empty_text", "too_few_rows"}
    assert store.versions(run_config.model_name) == []


def test_noisy_data_is_refused_by_the_champion_gate_but_kept(
    trained_run: TrainedRun, classifier: TicketClassifier, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path)
    noisy = generate_tickets(2500, 5, drift=DriftSpec(0.0, extra_label_noise=0.3))
    result = run_training(trained_run.config, noisy, store, version=2, champion=classifier)
    assert not result.passed
    champion = next(gate for gate in result.gates if gate.name == "champion")
    assert not champion.passed
    assert "below the champion's" in champion.message
    assert result.champion_version == 1
    # Failed runs keep their artifact; the caller registers it as failed.
    assert store.versions(trained_run.config.model_name) == [2]


def test_a_taken_version_is_refused(trained_run: TrainedRun) -> None:
    with pytest.raises(ArtifactExistsError):
        run_training(trained_run.config, trained_run.data, trained_run.store, version=1)


def test_command_line_generates_and_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(artifact_root=tmp_path / "store", training=TrainingConfig(seed=3))
    data = tmp_path / "tickets.jsonl"
    assert main(["generate", "--rows", "1500", "--out", str(data)], settings) == 0
    assert main(["train", "--data", str(data)], settings) == 0
    assert '"passed": true' in capsys.readouterr().out
    assert LocalArtifactStore(tmp_path / "store").versions("ticket-triage") == [1]
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,nope\n", encoding="utf-8")
    assert main(["train", "--data", str(bad)], settings) == 2
