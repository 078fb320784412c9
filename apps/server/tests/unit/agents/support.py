"""Types shared by the agents tests and their fixtures."""

from dataclasses import dataclass

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
