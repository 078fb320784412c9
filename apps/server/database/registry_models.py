"""The model registry: models, their versions, movable aliases and the audit log of moves.

Versions count up per model; aliases (`champion`, `challenger`) point at a version and
move; every move is appended to `alias_events` and never updated or deleted.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database.base import Base, TimestampMixin, utcnow
from server.database.types import JSONDocument


class VersionStatus(enum.StrEnum):
    candidate = "candidate"
    active = "active"
    archived = "archived"


class AliasAction(enum.StrEnum):
    set = "set"  # the alias was pointed at a version
    rollback = "rollback"  # the alias went back to the version it held before the last set


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


def enum_column(cls: type[enum.StrEnum], name: str) -> Enum:
    """An enum column as VARCHAR plus a CHECK constraint."""
    # VARCHAR plus a CHECK constraint: portable, and adding a value is a plain migration.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class MLModel(TimestampMixin, Base):
    __tablename__ = "ml_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    versions: Mapped[list["ModelVersion"]] = relationship(
        back_populates="model", order_by="ModelVersion.version"
    )


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    version: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        enum_column(VersionStatus, "version_status"), default=VersionStatus.candidate
    )
    artifact_uri: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), doc="Digest of the artifact's manifest.")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model: Mapped[MLModel] = relationship(back_populates="versions")


class ModelAlias(Base):
    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("model_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(50))
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AliasEvent(Base):
    """Append-only audit log: who moved which alias from which version to which, and why."""

    __tablename__ = "alias_events"
    __table_args__ = (
        Index("ix_alias_events_model_alias_created", "model_id", "alias", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(50))
    action: Mapped[AliasAction] = mapped_column(enum_column(AliasAction, "alias_action"))
    from_version: Mapped[int | None]
    to_version: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingRun(Base):
    __tablename__ = "training_runs"
    __table_args__ = (Index("ix_training_runs_status_created", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    model_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[RunStatus] = mapped_column(
        enum_column(RunStatus, "run_status"), default=RunStatus.queued
    )
    progress: Mapped[float] = mapped_column(default=0.0)
    attempts: Mapped[int] = mapped_column(default=0, doc="Deliveries to a worker so far.")
    stage: Mapped[str] = mapped_column(String(50), default="queued")
    trigger: Mapped[str] = mapped_column(String(200), doc="Who started the run: api, schedule.")
    reason: Mapped[str | None] = mapped_column(
        Text, doc="Why, when a monitoring trigger started the run (drift or quality detail)."
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    gate_results: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL")
    )
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
