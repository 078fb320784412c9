"""Request and response models of the model registry API."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.core.text import SafeText
from server.schemas.base import RequestModel

AliasName = Literal["champion", "challenger"]
VersionStatus = Literal["candidate", "active", "archived"]
AliasAction = Literal["set", "rollback"]


class ModelSummary(BaseModel):
    name: str = Field(examples=["ticket-triage"])
    description: str
    aliases: dict[str, int] = Field(
        description="Alias -> version number.", examples=[{"champion": 3, "challenger": 4}]
    )
    latest_version: int | None
    created_at: datetime


class VersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(examples=[3])
    status: VersionStatus
    aliases: list[str] = Field(default_factory=list, examples=[["champion"]])
    metrics: dict[str, Any] = Field(examples=[{"macro_f1": 0.91, "macro_auc": 0.98}])
    created_by: str
    created_at: datetime


class CodeRevision(BaseModel):
    commit: str | None = Field(examples=["3f2c1e9a7b4d5c6e8f90a1b2c3d4e5f60718293a"])
    source: Literal["checkout", "image"] | None = Field(
        description="Read from the git checkout that trained, or the image's build argument."
    )
    dirty: bool | None = Field(
        None, description="The checkout had uncommitted changes to tracked files."
    )
    missing_reason: str | None = Field(None, description="Why `commit` is unknown.")


class TrainingData(BaseModel):
    sha256: str = Field(description="Hash of the parsed training rows.")
    rows: int
    source: str
    train_rows: int
    calibration_rows: int
    holdout_rows: int
    class_counts: dict[str, int]


class VersionLineage(BaseModel):
    """What a version was built from: code, dependencies, data, configuration and seed."""

    code: CodeRevision
    dependency_lock_sha256: str | None = Field(description="sha256 of the dependency lock file.")
    seed: int
    training_config: dict[str, Any] = Field(description="The whole configuration of the run.")
    training_data: TrainingData

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> "VersionLineage | None":
        """The lineage a manifest records; None for manifests written before it was kept."""
        lineage = manifest.get("lineage")
        if not isinstance(lineage, dict):
            return None
        try:
            return cls.model_validate({**lineage, "training_data": manifest.get("training_data")})
        except ValidationError:
            return None


class VersionDetail(VersionSummary):
    artifact_uri: str
    sha256: str = Field(description="Digest of the artifact's manifest.json.")
    manifest: dict[str, Any] = Field(description="The artifact's manifest, including bias report.")
    bias_report: dict[str, Any] | None = Field(None, description="Per-segment recall, if measured.")
    lineage: VersionLineage | None = Field(
        None,
        description="Code, dependencies, data, configuration and seed; null for versions "
        "trained before lineage was recorded.",
    )


class AliasUpdate(RequestModel):
    version: int = Field(ge=1, examples=[4])
    reason: SafeText = Field(min_length=1, max_length=500, examples=["passed canary at 10 %"])


class Rollback(RequestModel):
    reason: SafeText = Field(min_length=1, max_length=500, examples=["error rate up after promote"])
    alias: AliasName = "champion"


class AliasMove(BaseModel):
    alias: str
    version: int
    previous_version: int | None


class AuditEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    alias: str
    action: AliasAction
    from_version: int | None
    to_version: int | None
    actor: str
    reason: str
    created_at: datetime
