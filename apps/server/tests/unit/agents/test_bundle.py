"""Bundles: one file per version, written deterministically, read without trusting it."""

import io
import tarfile

import pytest

from server.agents.artifacts.bundle import read_bundle, write_bundle
from server.agents.artifacts.manifest import MANIFEST_FILE
from server.agents.errors import ArtifactIntegrityError
from server.tests.unit.agents.support import TrainedRun

NAME = "ticket-triage"


def _members(bundle: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(bundle)) as archive:
        return {
            info.name: extracted.read()
            for info in archive
            if (extracted := archive.extractfile(info)) is not None
        }


def _tar(members: dict[str, bytes], *, directory: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        if directory is not None:
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_bundle_round_trips_and_is_deterministic(trained_run: TrainedRun) -> None:
    artifact = trained_run.store.open(NAME, 1)
    bundle = write_bundle(artifact)
    assert write_bundle(trained_run.store.open(NAME, 1)) == bundle
    manifest, sha256, files = read_bundle(
        bundle, expected_manifest_sha256=artifact.ref.manifest_sha256
    )
    assert manifest == artifact.manifest
    assert manifest.lineage == artifact.manifest.lineage
    assert sha256 == artifact.ref.manifest_sha256
    assert files == dict(artifact.files)


def test_a_tampered_or_padded_bundle_is_refused(trained_run: TrainedRun) -> None:
    members = _members(write_bundle(trained_run.store.open(NAME, 1)))
    tampered = {**members, "weights.npy": members["weights.npy"][:-1] + b"\x00"}
    with pytest.raises(ArtifactIntegrityError, match=r"weights\.npy sha256"):
        read_bundle(_tar(tampered))
    with pytest.raises(ArtifactIntegrityError, match="not listed"):
        read_bundle(_tar({**members, "extra.py": b"print()"}))
    missing = {k: v for k, v in members.items() if k != "idf.npy"}
    with pytest.raises(ArtifactIntegrityError, match=r"idf\.npy is missing"):
        read_bundle(_tar(missing))
    with pytest.raises(ArtifactIntegrityError, match="differs from the recorded"):
        read_bundle(_tar(members), expected_manifest_sha256="0" * 64)


def test_paths_directories_and_garbage_are_refused(trained_run: TrainedRun) -> None:
    members = _members(write_bundle(trained_run.store.open(NAME, 1)))
    with pytest.raises(ArtifactIntegrityError, match="unexpected member"):
        read_bundle(_tar({"../manifest.json": members[MANIFEST_FILE]}))
    with pytest.raises(ArtifactIntegrityError, match="unexpected member"):
        read_bundle(_tar(members, directory="sub"))
    with pytest.raises(ArtifactIntegrityError, match=r"manifest\.json is missing"):
        read_bundle(_tar({}))
    with pytest.raises(ArtifactIntegrityError, match="not a tar archive"):
        read_bundle(b"definitely not a tar archive" * 40)
