"""The prompt registry: prompt versions of the reply assistant, their movable aliases, the
audit log of moves and the canary split between champion and challenger.

Its own tables rather than the classifier's: those are keyed by `ml_models` and hold
artifacts (a store URI, a manifest the workers verify and load), and every model there is
served, exported and verified as one. A prompt version is a small JSON document identified
by its digest. The shapes (versions counting up, `champion`/`challenger` aliases, an
append-only log of `set`/`rollback` moves, a challenger weight in percent) are the same.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, utcnow
from server.database.registry_models import AliasAction, enum_column
from server.database.types import JSONDocument


class PromptVersion(Base):
    """One registered prompt: its spec (system prompt, tool descriptions, parameters)."""

    __tablename__ = "prompt_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    digest: Mapped[str] = mapped_column(
        String(64), unique=True, doc="sha256 of the canonical spec: one version per content."
    )
    spec: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    description: Mapped[str] = mapped_column(Text, default="")
    eval_report: Mapped[dict[str, Any] | None] = mapped_column(
        JSONDocument, doc="The latest offline evaluation of this version, if it was evaluated."
    )
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptAlias(Base):
    __tablename__ = "prompt_aliases"

    alias: Mapped[str] = mapped_column(String(50), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PromptAliasEvent(Base):
    """Append-only audit log: who moved which prompt alias from which version, and why."""

    __tablename__ = "prompt_alias_events"
    __table_args__ = (Index("ix_prompt_alias_events_alias_created", "alias", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(50))
    action: Mapped[AliasAction] = mapped_column(enum_column(AliasAction, "prompt_alias_action"))
    from_version: Mapped[int | None]
    to_version: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptTraffic(Base):
    """The share of drafts the challenger prompt answers (one row; absent: none)."""

    __tablename__ = "prompt_traffic"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("challenger_weight BETWEEN 0 AND 100", name="challenger_weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    challenger_weight: Mapped[int] = mapped_column(default=0, doc="Percent sent to challenger.")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
