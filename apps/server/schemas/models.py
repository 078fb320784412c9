"""Request and response models of the model registry API."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class VersionDetail(VersionSummary):
    artifact_uri: str
    sha256: str = Field(description="Digest of the artifact's manifest.json.")
    manifest: dict[str, Any] = Field(description="The artifact's manifest, including bias report.")
    bias_report: dict[str, Any] | None = Field(None, description="Per-segment recall, if measured.")


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
