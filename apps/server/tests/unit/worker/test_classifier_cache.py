"""Worker model cache: loads once, evicts the oldest, refuses tampering, falls back."""

from pathlib import Path

import pytest

from server.agents.artifacts.store import LocalArtifactStore
from server.agents.data.generator import generate_tickets
from server.agents.errors import ArtifactError
from server.agents.pipeline.run import RunConfig, run_training
from server.config import Settings
from server.taskqueue.payloads import ScoredBatch
from server.worker.classifier_cache import ClassifierCache, scored_batch

MODEL = "ticket-triage"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalArtifactStore, dict[int, str]]:
    root: Path = tmp_path_factory.mktemp("cache")
    store = LocalArtifactStore(root)
    config = RunConfig.from_settings(Settings(_env_file=None, train_default_rows=3000))
    data = generate_tickets(3000, seed=1)
    digests = {}
    for version in (1, 2, 3):
        result = run_training(config, data, store, version=version)
        digests[version] = result.manifest_sha256
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


def test_a_tampered_version_is_refused_and_the_newest_good_one_answers(
    store: tuple[LocalArtifactStore, dict[int, str]], tmp_path: Path
) -> None:
    artifacts, digests = store
    cache = ClassifierCache(artifacts, size=3)
    assert cache.ensure(MODEL, 1, digests[1])
    assert not cache.ensure(MODEL, 2, "0" * 64)  # a digest the registry never recorded
    assert cache.get(MODEL, 2, "0" * 64).version == 1
    with pytest.raises(ArtifactError):
        ClassifierCache(artifacts, size=1).get(MODEL, 2, "0" * 64)


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
