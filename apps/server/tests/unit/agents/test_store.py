"""The local artifact store: layout, verification on load, atomic saves."""

import shutil
from pathlib import Path

import pytest

from server.agents.artifacts import store as store_module
from server.agents.artifacts.manifest import MANIFEST_FILE, MODEL_CARD_FILE
from server.agents.artifacts.store import LocalArtifactStore, read_verified
from server.agents.classifier import TicketClassifier
from server.agents.errors import (
    ArtifactError,
    ArtifactExistsError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
)
from server.tests.unit.agents.support import TrainedRun

NAME = "ticket-triage"


@pytest.fixture
def store(tmp_path: Path, version_dir: Path) -> LocalArtifactStore:
    """A private copy of the session's version 1, free to tamper with."""
    shutil.copytree(version_dir, tmp_path / NAME / "1")
    return LocalArtifactStore(tmp_path)


def test_layout_is_root_model_version(store: LocalArtifactStore, tmp_path: Path) -> None:
    assert store.models() == [NAME]
    assert store.versions(NAME) == [1]
    files = {p.name for p in (tmp_path / NAME / "1").iterdir()}
    assert {MANIFEST_FILE, MODEL_CARD_FILE, "weights.npy", "vocabulary.json"} <= files
    assert store.verify(NAME, 1).version == 1


def test_a_flipped_byte_is_refused(store: LocalArtifactStore, tmp_path: Path) -> None:
    weights = tmp_path / NAME / "1" / "weights.npy"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match=r"weights\.npy sha256 .* differs"):
        TicketClassifier.load(store, NAME, 1)
    with pytest.raises(ArtifactIntegrityError):
        store.verify(NAME, 1)


def test_missing_and_unlisted_files_are_refused(store: LocalArtifactStore, tmp_path: Path) -> None:
    directory = tmp_path / NAME / "1"
    (directory / "idf.npy").unlink()
    (directory / "extra.py").write_text("print('hi')")
    with pytest.raises(ArtifactIntegrityError) as caught:
        store.open(NAME, 1)
    assert "idf.npy is missing" in str(caught.value)
    assert "extra.py is not listed" in str(caught.value)


def test_a_manifest_differing_from_the_recorded_hash_is_refused(
    store: LocalArtifactStore, trained_run: TrainedRun
) -> None:
    recorded = trained_run.result.manifest_sha256
    assert store.verify(NAME, 1, expected_manifest_sha256=recorded).manifest_sha256 == recorded
    with pytest.raises(ArtifactIntegrityError, match="differs from the recorded"):
        store.open(NAME, 1, expected_manifest_sha256="0" * 64)


def test_a_broken_manifest_is_refused(store: LocalArtifactStore, tmp_path: Path) -> None:
    (tmp_path / NAME / "1" / MANIFEST_FILE).write_text("{}")
    with pytest.raises(ArtifactIntegrityError, match="invalid"):
        store.open(NAME, 1)


def test_a_version_copied_under_another_number_is_refused(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    shutil.copytree(tmp_path / NAME / "1", tmp_path / NAME / "2")
    with pytest.raises(ArtifactIntegrityError, match="holds the manifest of"):
        store.open(NAME, 2)


def test_missing_versions_and_bad_keys(store: LocalArtifactStore) -> None:
    with pytest.raises(ArtifactNotFoundError):
        store.open(NAME, 9)
    with pytest.raises(ArtifactError, match="invalid model name"):
        store.path("../etc", 1)
    with pytest.raises(ArtifactError, match="invalid version"):
        store.path(NAME, 0)
    assert store.versions("nothing-here") == []


def test_save_is_atomic_and_leaves_nothing_behind_on_failure(
    store: LocalArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = store.open(NAME, 1)
    manifest = artifact.manifest.model_copy(update={"version": 2})
    writes: list[str] = []

    def failing_write(path: Path, data: bytes) -> None:
        writes.append(path.name)
        if len(writes) == 3:
            raise OSError("disk full")
        path.write_bytes(data)

    monkeypatch.setattr(store_module, "_write_synced", failing_write)
    with pytest.raises(OSError, match="disk full"):
        store.save(manifest, artifact.files)
    assert len(writes) == 3
    assert store.versions(NAME) == [1]
    assert sorted(p.name for p in (tmp_path / NAME).iterdir()) == ["1"]


def test_save_then_open_round_trips_and_refuses_overwrite(store: LocalArtifactStore) -> None:
    artifact = store.open(NAME, 1)
    manifest = artifact.manifest.model_copy(update={"version": 2})
    ref = store.save(manifest, artifact.files)
    assert ref.version == 2
    assert store.versions(NAME) == [1, 2]
    assert store.open(NAME, 2, expected_manifest_sha256=ref.manifest_sha256).files == artifact.files
    with pytest.raises(ArtifactExistsError):
        store.save(manifest, artifact.files)


def test_save_refuses_files_that_do_not_match_the_manifest(store: LocalArtifactStore) -> None:
    artifact = store.open(NAME, 1)
    manifest = artifact.manifest.model_copy(update={"version": 3})
    files = {**artifact.files, "weights.npy": b"other bytes"}
    with pytest.raises(ArtifactError, match="do not match"):
        store.save(manifest, files)
    assert store.versions(NAME) == [1]


def test_delete_removes_a_version(store: LocalArtifactStore, tmp_path: Path) -> None:
    store.delete(NAME, 1)
    assert store.versions(NAME) == []
    assert list((tmp_path / NAME).iterdir()) == []
    with pytest.raises(ArtifactNotFoundError):
        store.delete(NAME, 1)


def test_a_version_directory_loads_directly(version_dir: Path) -> None:
    assert read_verified(version_dir).manifest.version == 1
    assert TicketClassifier.load(version_dir).version == 1
