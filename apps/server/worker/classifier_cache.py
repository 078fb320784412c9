"""The model versions a worker process keeps loaded, verified against the registry's digest."""

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import structlog

from server.agents.artifacts.store import ArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.errors import ArtifactError
from server.taskqueue.payloads import ScoredBatch, ScoredText

log = structlog.get_logger(__name__)

Key = tuple[str, int, str]
"""(model, version, manifest sha256): one exact artifact."""


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


class ModelRefusedError(ArtifactError):
    """The version was refused by this process (at load or at a re-verification); the
    message is the reason, safe to show: it names files and digests, never a path."""


class ClassifierCache:
    """Least-recently-used cache of classifiers keyed by (model, version, manifest sha256).

    A version is loaded once per process and swapped in when an alias moves, without a
    restart. Loading verifies every file's digest, and `verify_loaded` checks them again
    while the version serves (an artifact may be modified on its volume after it was
    loaded): a tampered version is unloaded and refused, with the reason, and a task that
    asks for it fails with `ModelRefusedError` instead of being scored by another version.
    """

    def __init__(self, store: ArtifactStore, size: int, use_gpu: bool = False) -> None:
        self.store, self.size, self.use_gpu = store, size, use_gpu
        self._loaded: OrderedDict[Key, TicketClassifier] = OrderedDict()
        self._refused: dict[Key, str] = {}
        self._lock = threading.Lock()  # the refresh thread loads and verifies too

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
            self._refused.pop(key, None)
            while len(self._loaded) > self.size:
                self._loaded.popitem(last=False)
        return classifier

    def ensure(self, model: str, version: int, sha256: str) -> bool:
        """Load a version ahead of traffic (a refused one is tried again, in case its files
        were restored); False if it is refused."""
        try:
            self.load(model, version, sha256)
        except ArtifactError as exc:
            self._refuse((model, version, sha256), exc)
            return False
        return True

    def get(self, model: str, version: int, sha256: str) -> TicketClassifier:
        """The requested version, loaded now if needed; `ModelRefusedError` if it is refused."""
        key = (model, version, sha256)
        with self._lock:
            reason = self._refused.get(key)
        if reason is not None:
            raise ModelRefusedError(reason)
        try:
            return self.load(model, version, sha256)
        except ArtifactError as exc:
            raise ModelRefusedError(self._refuse(key, exc)) from exc

    def verify_loaded(self) -> list[Key]:
        """Check every loaded version's files against its digests again; unload and refuse
        those that fail. Returns the refused keys."""
        with self._lock:
            keys = list(self._loaded)
        refused = []
        for key in keys:
            model, version, sha256 = key
            try:
                self.store.verify(model, version, expected_manifest_sha256=sha256)
            except ArtifactError as exc:
                # Unloaded and refused in one step: a heartbeat in between reported the
                # version as neither, and the API's view then blamed no worker for it.
                self._refuse(key, exc, unload=True)
                refused.append(key)
        return refused

    def forget_refusals(self, keep: Iterable[Key]) -> None:
        """Drop the refusals of versions no longer served (they would alert forever)."""
        wanted = set(keep)
        with self._lock:
            for key in [k for k in self._refused if k not in wanted]:
                del self._refused[key]

    def _refuse(self, key: Key, exc: ArtifactError, *, unload: bool = False) -> str:
        reason = str(exc)
        with self._lock:
            known = self._refused.get(key) == reason
            self._refused[key] = reason
            if unload:
                self._loaded.pop(key, None)
        if not known:  # logged once per version and reason, not at every refresh
            model, version, _ = key
            log.error("worker.model_refused", model_name=model, model_version=version, error=reason)
        return reason

    def loaded(self) -> dict[str, list[int]]:
        """Model name -> loaded version numbers, for the heartbeat."""
        with self._lock:
            result: dict[str, list[int]] = {}
            for name, version, _ in self._loaded:
                result.setdefault(name, []).append(version)
            return result

    def refused(self) -> list[tuple[str, int, str]]:
        """(model, version, reason) of every refused version, for the heartbeat."""
        with self._lock:
            return [(model, version, why) for (model, version, _), why in self._refused.items()]
