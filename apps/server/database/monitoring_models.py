"""What monitoring records: drift and quality reports per version, and retraining triggers.

Reports are JSON documents (the agents' report models, dumped) with the columns that are
queried kept as indexed columns: model, version, role, window and time.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, utcnow
from server.database.types import JSONDocument


class DriftRecord(Base):
    """One drift check of a version over a window of its predictions."""

    __tablename__ = "drift_reports"
    __table_args__ = (
        Index("ix_drift_reports_model_version_created", "model_name", "version", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    model_name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    role: Mapped[str | None] = mapped_column(String(20), doc="champion, challenger or none.")
    shadow: Mapped[bool] = mapped_column(doc="Whether the window held shadow predictions.")
    window_size: Mapped[int]
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    severity: Mapped[str] = mapped_column(String(20))
    report: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityRecord(Base):
    """One quality check of a version over its predictions with feedback."""

    __tablename__ = "quality_reports"
    __table_args__ = (
        Index("ix_quality_reports_model_version_created", "model_name", "version", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    model_name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    role: Mapped[str | None] = mapped_column(String(20))
    window_size: Mapped[int] = mapped_column(doc="Labelled predictions judged.")
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), doc="ok or insufficient_data.")
    below_gate: Mapped[bool]
    report: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetrainTrigger(Base):
    """Monitoring asked for retraining: why, and what it did (suggested or enqueued a run)."""

    __tablename__ = "retrain_triggers"
    __table_args__ = (Index("ix_retrain_triggers_model_created", "model_name", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    model_name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    reason: Mapped[str] = mapped_column(String(20), doc="drift or quality.")
    action: Mapped[str] = mapped_column(String(20), doc="suggest or auto.")
    detail: Mapped[str] = mapped_column(String(500))
    training_run_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
