"""The object-storage artifact store against a real S3-protocol server: round trip,
write-once, content addressing, corrupted objects, the verified cache, an unreachable store."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import obstore
import pytest
from obstore.store import S3Store

from server.agents.artifacts.factory import open_artifact_store
from server.agents.artifacts.object_store import ObjectArtifactStore
from server.agents.artifacts.store import LocalArtifactStore, VerifiedArtifact
from server.agents.classifier import TicketClassifier
from server.agents.errors import (
    ArtifactExistsError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactStoreUnavailableError,
)
from server.config import Settings
from server.tests.support.live_server import free_port
from server.tests.support.models import ModelCache
from server.tests.support.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server, s3_server

BUCKET = "artifacts"


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with s3_server() as running:
        running.create_bucket(BUCKET)
        yield running


@pytest.fixture
def url() -> str:
    """A prefix of the test's own in the shared bucket."""
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


def _store(server: S3Server, url: str, cache_dir: Path) -> ObjectArtifactStore:
    settings = Settings().model_copy(
        update={**server.settings_update(url), "artifact_cache_dir": cache_dir}
    )
    store = open_artifact_store(settings)
    assert isinstance(store, ObjectArtifactStore)
    return store


@pytest.fixture
def store(server: S3Server, url: str, tmp_path: Path) -> ObjectArtifactStore:
    return _store(server, url, tmp_path / "cache")


@pytest.fixture
def artifact(model_cache: ModelCache) -> VerifiedArtifact:
    return model_cache.artifact()


def _raw(server: S3Server, url: str) -> S3Store:
    """The bucket prefix as a plain client sees it, to tamper with objects."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return S3Store(
        bucket,
        prefix=prefix,
        config={
            "endpoint": server.endpoint_url,
            "region": REGION,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
        },
        client_options={"allow_http": True},
    )


def test_a_version_round_trips_verified(
    store: ObjectArtifactStore, artifact: VerifiedArtifact, url: str
) -> None:
    manifest = artifact.manifest.model_copy(update={"version": 3})
    ref = store.save(manifest, artifact.files)
    assert ref.uri == f"{url}/versions/{manifest.name}/3/manifest.json"
    assert store.versions(manifest.name) == [3]
    assert store.models() == [manifest.name]
    opened = store.open(manifest.name, 3, expected_manifest_sha256=ref.manifest_sha256)
    assert opened.files == artifact.files
    assert opened.manifest == manifest
    classifier = TicketClassifier.load(store, manifest.name, 3)
    assert classifier.predict(["I was charged twice"])[0].label in manifest.labels


def test_versions_are_write_once_and_files_content_addressed(
    store: ObjectArtifactStore, artifact: VerifiedArtifact, server: S3Server, url: str
) -> None:
    name = artifact.manifest.name
    store.save(artifact.manifest.model_copy(update={"version": 1}), artifact.files)
    store.save(artifact.manifest.model_copy(update={"version": 2}), artifact.files)
    with pytest.raises(ArtifactExistsError):
        store.save(artifact.manifest.model_copy(update={"version": 2}), artifact.files)
    blobs = [item["path"] for batch in obstore.list(_raw(server, url), "blobs") for item in batch]
    # Two versions of the same files share one object per file.
    assert sorted(blobs) == sorted(
        f"blobs/sha256/{digest.sha256}" for digest in artifact.manifest.files.values()
    )
    store.delete(name, 1)
    assert store.versions(name) == [2]
    with pytest.raises(ArtifactNotFoundError):
        store.open(name, 1)


def test_a_corrupted_object_is_refused_and_never_cached(
    store: ObjectArtifactStore, artifact: VerifiedArtifact, server: S3Server, url: str
) -> None:
    ref = store.save(artifact.manifest, artifact.files)
    weights = artifact.manifest.files["weights.npy"].sha256
    obstore.put(_raw(server, url), f"blobs/sha256/{weights}", b"not the weights")
    with pytest.raises(ArtifactIntegrityError, match=r"weights\.npy sha256 .* differs"):
        store.open(artifact.manifest.name, artifact.manifest.version)
    assert store.cache.get(weights) is None
    # A manifest that differs from the registry's digest is refused before any file is read.
    with pytest.raises(ArtifactIntegrityError, match="differs from the recorded"):
        store.open(
            artifact.manifest.name, artifact.manifest.version, expected_manifest_sha256="0" * 64
        )
    assert ref.manifest_sha256 != "0" * 64


def test_verified_copies_serve_from_the_cache_and_a_tampered_copy_is_fetched_again(
    server: S3Server, artifact: VerifiedArtifact, url: str, tmp_path: Path
) -> None:
    ref = _store(server, url, tmp_path / "trainer").save(artifact.manifest, artifact.files)
    worker = _store(server, url, tmp_path / "worker")
    name, version = artifact.manifest.name, artifact.manifest.version
    worker.open(name, version, expected_manifest_sha256=ref.manifest_sha256)
    cached = tmp_path / "worker" / "sha256" / artifact.manifest.files["weights.npy"].sha256
    assert cached.read_bytes() == artifact.files["weights.npy"]
    cached.write_bytes(b"tampered on the worker's disk")
    again = worker.open(name, version, expected_manifest_sha256=ref.manifest_sha256)
    assert again.files["weights.npy"] == artifact.files["weights.npy"]
    assert cached.read_bytes() == artifact.files["weights.npy"]


def test_an_unreachable_store_is_a_clear_error(artifact: VerifiedArtifact, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    store = open_artifact_store(
        Settings(
            artifact_store_url=f"s3://{BUCKET}/models",
            artifact_s3_endpoint_url=closed,
            artifact_s3_region=REGION,
            artifact_s3_access_key_id=ACCESS_KEY,
            artifact_s3_secret_access_key=SECRET_KEY,
            artifact_s3_max_retries=0,
            artifact_s3_timeout_s=2,
            artifact_cache_dir=tmp_path,
        )
    )
    with pytest.raises(ArtifactStoreUnavailableError, match=rf"s3://{BUCKET}/models could not"):
        store.save(artifact.manifest, artifact.files)
    with pytest.raises(ArtifactStoreUnavailableError):
        store.versions(artifact.manifest.name)


def test_a_file_url_and_no_url_give_a_local_store(tmp_path: Path) -> None:
    by_url = open_artifact_store(Settings(artifact_store_url=f"file://{tmp_path}/a"))
    assert isinstance(by_url, LocalArtifactStore)
    assert by_url.root == tmp_path / "a"
    default = open_artifact_store(Settings(artifact_root=tmp_path / "b"))
    assert isinstance(default, LocalArtifactStore)
    assert default.root == tmp_path / "b"
