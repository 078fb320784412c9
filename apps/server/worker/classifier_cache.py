"""The model versions a worker process keeps loaded, verified against the registry's digest."""

import threading
from collections import OrderedDict
from collections.abc import Sequence

import structlog

from server.agents.artifacts.store import ArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.errors import ArtifactError
from server.taskqueue.payloads import ScoredBatch, ScoredText

log = structlog.get_logger(__name__)


def scored_batch(classifier: TicketClassifier, texts: Sequence[str]) -> ScoredBatch:
    """Score `texts` in one vectorized call; the answer in the task contract's shape, each
    label as the classifier chose it."""
    return ScoredBatch(
        version=classifier.version,
        items=[
            ScoredText(
                label=p.label,
                confidence=p.confidence,
                probabilities=p.probabilities,
                oov_rate=p.oov_rate,
            )
            for p in classifier.predict(texts)
        ],
    )


class ClassifierCache:
    """Least-recently-used cache of classifiers keyed by (model, version, manifest sha256).

    A version is loaded once per process and swapped in when an alias moves, without a
    restart. Loading verifies every file's digest; a tampered version is refused and, when
    a request asks for it, the most recent good version of the model answers instead (the
    answer names the version that really scored it).
    """

    def __init__(self, store: ArtifactStore, size: int, use_gpu: bool = False) -> None:
        self.store, self.size, self.use_gpu = store, size, use_gpu
        self._loaded: OrderedDict[tuple[str, int, str], TicketClassifier] = OrderedDict()
        self._refused: set[tuple[str, int, str]] = set()
        self._lock = threading.Lock()  # the heartbeat thread loads too

    def load(self, model: str, version: int, sha256: str) -> TicketClassifier:
        """The classifier for exactly this version; raises `ArtifactError` if it is unusable."""
        key = (model, version, sha256)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        classifier = TicketClassifier.load(
            self.store, model, version, use_gpu=self.use_gpu, expected_manifest_sha256=sha256
        )
        with self._lock:
            self._loaded[key] = classifier
            self._refused.discard(key)
            while len(self._loaded) > self.size:
                self._loaded.popitem(last=False)
        return classifier

    def ensure(self, model: str, version: int, sha256: str) -> bool:
        """Load a version ahead of traffic; False (logged once) if it is refused."""
        try:
            self.load(model, version, sha256)
        except ArtifactError as exc:
            key = (model, version, sha256)
            if key not in self._refused:
                log.error(
                    "worker.model_refused", model_name=model, model_version=version, error=str(exc)
                )
                self._refused.add(key)
            return False
        return True

    def get(self, model: str, version: int, sha256: str) -> TicketClassifier:
        """The requested version, or the newest good loaded version of `model` if it is refused."""
        try:
            return self.load(model, version, sha256)
        except ArtifactError:
            fallback = self._newest(model)
            if fallback is None:
                raise
            log.warning(
                "worker.model_fallback",
                model_name=model,
                requested_version=version,
                model_version=fallback.version,
            )
            return fallback

    def _newest(self, model: str) -> TicketClassifier | None:
        with self._lock:
            versions = [c for (name, _, _), c in self._loaded.items() if name == model]
        return max(versions, key=lambda c: c.version, default=None)

    def loaded(self) -> dict[str, list[int]]:
        """Model name -> loaded version numbers, for the heartbeat."""
        with self._lock:
            result: dict[str, list[int]] = {}
            for name, version, _ in self._loaded:
                result.setdefault(name, []).append(version)
            return result
