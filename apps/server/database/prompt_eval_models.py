"""Evaluation runs of prompt versions: recorded by the API, executed by a worker.

A run drafts the evaluation set under one prompt (a registered version, or the builtin
prompt when `prompt_version` is null) and keeps the report it scored. Promotion gates on
these stored reports instead of drafting inside a request.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, utcnow
from server.database.registry_models import RunStatus, enum_column
from server.database.types import JSONDocument


class PromptEvalRun(Base):
    __tablename__ = "prompt_eval_runs"
    __table_args__ = (
        Index(
            "ix_prompt_eval_runs_version_set",
            "prompt_version",
            "eval_set_digest",
            "status",
        ),
        Index("ix_prompt_eval_runs_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    prompt_version: Mapped[int | None] = mapped_column(
        ForeignKey("prompt_versions.version", ondelete="RESTRICT"),
        doc="The version evaluated; null: the builtin prompt.",
    )
    status: Mapped[RunStatus] = mapped_column(
        enum_column(RunStatus, "prompt_eval_status"), default=RunStatus.queued
    )
    eval_set_digest: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
