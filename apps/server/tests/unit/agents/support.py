"""Types shared by the agents tests and their fixtures."""

from dataclasses import dataclass

from server.agents.artifacts.lineage import BuildProvenance, CodeRevision
from server.agents.artifacts.store import LocalArtifactStore
from server.agents.data.dataset import TicketDataset
from server.agents.pipeline.run import RunConfig, TrainingResult


@dataclass(frozen=True)
class TrainedRun:
    """A completed `run_training` and where its artifact lives."""

    config: RunConfig
    data: TicketDataset
    store: LocalArtifactStore
    result: TrainingResult
    progress: list[tuple[float, str]]


PROVENANCE = BuildProvenance(
    code=CodeRevision(commit="0123abc", source="image"), dependency_lock_sha256="ab" * 32
)
"""The provenance of the agents tests' runs: a commit from an image's build argument."""
