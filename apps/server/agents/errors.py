"""Domain exceptions of the AI layer; the API maps them to problem details in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.agents.data.validation import DataReport


class AgentError(Exception):
    """Base class of every error raised by `server.agents`."""


class DataValidationError(AgentError):
    """Training data was refused; `report` lists the problems with their row numbers."""

    def __init__(self, report: DataReport) -> None:
        self.report = report
        super().__init__(report.summary())


class ArtifactError(AgentError):
    """Base class of artifact store problems."""


class ArtifactNotFoundError(ArtifactError):
    """The requested model version has no artifact in the store."""


class ArtifactExistsError(ArtifactError):
    """A version directory already exists; artifacts are immutable, pick a new version."""


class ArtifactStoreUnavailableError(ArtifactError):
    """The artifact store could not be reached or refused the request (network, credentials,
    missing bucket); nothing was written that a registry could point at."""


class ArtifactIntegrityError(ArtifactError):
    """An artifact file is missing, unexpected, or its sha256 differs from the manifest."""


class ArtifactFormatError(ArtifactError):
    """An artifact's files are intact but do not describe a model this runtime can load."""
