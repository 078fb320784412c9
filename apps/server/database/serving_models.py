"""What serving records: every prediction (and its feedback) and each model's traffic policy."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, utcnow
from server.database.types import JSONDocument


class Prediction(Base):
    """One scored text. Shadow predictions are recorded here too and never returned."""

    __tablename__ = "predictions"
    __table_args__ = (
        Index("ix_predictions_model_version_created", "model_name", "version", "created_at"),
        Index("ix_predictions_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model_name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    label: Mapped[str] = mapped_column(String(100))
    confidence: Mapped[float]
    probabilities: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    latency_ms: Mapped[float]
    input_length: Mapped[int]
    input_sha256: Mapped[str] = mapped_column(String(64))
    oov_rate: Mapped[float | None] = mapped_column(
        doc="Share of the text's word tokens unknown to the model (drift monitoring)."
    )
    input_text: Mapped[str | None] = mapped_column(Text, doc="Only when store_inputs is on.")
    shadow: Mapped[bool] = mapped_column(default=False)
    requested_by: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(64))
    feedback_label: Mapped[str | None] = mapped_column(String(100))
    feedback_at: Mapped[datetime | None]


class TrafficPolicy(Base):
    """How a model's traffic is split between champion and challenger."""

    __tablename__ = "traffic_policies"
    __table_args__ = (
        CheckConstraint("challenger_weight BETWEEN 0 AND 100", name="challenger_weight_range"),
        CheckConstraint("shadow_sample BETWEEN 0 AND 1", name="shadow_sample_range"),
    )

    model_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    challenger_weight: Mapped[int] = mapped_column(default=0, doc="Percent sent to challenger.")
    shadow_sample: Mapped[float] = mapped_column(
        default=0.0, doc="Share of champion traffic also scored by the challenger, unseen."
    )
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
