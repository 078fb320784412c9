"""Reply drafts: what the assistant wrote for a ticket, how, and what the agent made of it.

The ticket is stored redacted, as the provider saw it; the values behind its placeholders
(`pii_values`) are kept in a column of their own so that the owner's view can restore them
and an administrator's view, or an export of the ticket column, does not carry them.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, utcnow
from server.database.types import JSONDocument


class DraftStatus(enum.StrEnum):
    running = "running"
    completed = "completed"
    failed = "failed"


class Draft(Base):
    __tablename__ = "reply_drafts"
    __table_args__ = (Index("ix_reply_drafts_owner_created", "owner", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(String(100))
    status: Mapped[DraftStatus] = mapped_column(
        Enum(
            DraftStatus,
            name="draft_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
        ),
        default=DraftStatus.running,
    )
    ticket: Mapped[str] = mapped_column(Text, doc="Redacted: placeholders for personal data.")
    pii_values: Mapped[dict[str, str]] = mapped_column(
        JSONDocument, default=dict, doc="Placeholder to value, for the owner's view only."
    )
    reply: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    cited_articles: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    confidence_note: Mapped[str | None] = mapped_column(Text)
    prompt_version: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cost: Mapped[float] = mapped_column(default=0.0)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    error: Mapped[str | None] = mapped_column(String(500))
    feedback_verdict: Mapped[str | None] = mapped_column(String(16))
    feedback_reply: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
