"""Worker model cache: loads once, evicts the oldest, refuses tampering at load and while
serving, with the reason, and never answers with another version."""

from pathlib import Path

import pytest

from server.agents.artifacts.store import LocalArtifactStore
from server.taskqueue.payloads import ScoredBatch
from server.tests.support.models import MODEL, ModelCache
from server.worker.classifier_cache import ClassifierCache, ModelRefusedError, scored_batch


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache
) -> tuple[LocalArtifactStore, dict[int, str]]:
    """Three versions of one small model: what the cache loads is what it is told to."""
    root: Path = tmp_path_factory.mktemp("cache")
    store = LocalArtifactStore(root)
    digests = {v: model_cache.install(store, v).ref.manifest_sha256 for v in (1, 2, 3)}
    return store, digests


def test_versions_are_loaded_once_and_the_oldest_is_evicted(
    store: tuple[LocalArtifactStore, dict[int, str]],
) -> None:
    artifacts, digests = store
    cache = ClassifierCache(artifacts, size=2)
    first = cache.load(MODEL, 1, digests[1])
    assert cache.load(MODEL, 1, digests[1]) is first
    cache.load(MODEL, 2, digests[2])
    cache.load(MODEL, 3, digests[3])
    assert cache.loaded() == {MODEL: [2, 3]}


def test_a_tampered_version_is_refused_with_the_reason_and_no_other_version_answers(
    store: tuple[LocalArtifactStore, dict[int, str]],
) -> None:
    artifacts, digests = store
    cache = ClassifierCache(artifacts, size=3)
    assert cache.ensure(MODEL, 1, digests[1])
    assert not cache.ensure(MODEL, 2, "0" * 64)  # a digest the registry never recorded
    with pytest.raises(ModelRefusedError, match="differs from the recorded"):
        cache.get(MODEL, 2, "0" * 64)  # version 1 is loaded, yet it does not answer for 2
    ((model, version, reason),) = cache.refused()
    assert (model, version) == (MODEL, 2)
    assert "manifest.json sha256" in reason
    cache.forget_refusals([(MODEL, 1, digests[1])])  # version 2 no longer served
    assert cache.refused() == []


def test_a_version_modified_while_loaded_is_unloaded_and_refused_at_the_next_check(
    model_cache: ModelCache, tmp_path: Path
) -> None:
    artifacts = LocalArtifactStore(tmp_path)
    digest = model_cache.install(artifacts, 1).ref.manifest_sha256
    cache = ClassifierCache(artifacts, size=2)
    assert cache.ensure(MODEL, 1, digest)
    assert cache.verify_loaded() == []  # intact: nothing changes

    weights = artifacts.path(MODEL, 1) / "weights.npy"
    original = weights.read_bytes()
    weights.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))
    assert cache.get(MODEL, 1, digest).version == 1  # in memory until the check ...
    assert cache.verify_loaded() == [(MODEL, 1, digest)]  # ... which unloads it
    assert cache.loaded() == {}
    with pytest.raises(ModelRefusedError, match=r"weights\.npy sha256"):
        cache.get(MODEL, 1, digest)

    weights.write_bytes(original)  # restored: the next refresh loads it again
    assert cache.ensure(MODEL, 1, digest)
    assert cache.refused() == []
    assert cache.get(MODEL, 1, digest).version == 1


def test_a_scored_batch_carries_the_label_the_classifier_chose(
    store: tuple[LocalArtifactStore, dict[int, str]],
) -> None:
    artifacts, digests = store
    classifier = ClassifierCache(artifacts, size=1).load(MODEL, 1, digests[1])
    texts = ["I was charged twice for my plan", "my parcel never arrived"]
    batch = scored_batch(classifier, texts)
    assert batch.version == 1
    assert [item.label for item in batch.items] == [p.label for p in classifier.predict(texts)]
    (result, _) = batch.items
    assert result.label == "billing"
    assert abs(sum(result.probabilities.values()) - 1) < 1e-4
    assert result.confidence == max(result.probabilities.values())
    # The contract round-trips through JSON unchanged, as the API reads it.
    assert ScoredBatch.model_validate_json(batch.model_dump_json()) == batch
