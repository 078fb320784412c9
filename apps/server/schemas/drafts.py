"""Reply drafts: ask for one, read it with its trace, give feedback on it."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from server.core.text import FILLED_NO_NUL
from server.schemas.base import RequestModel

DraftStatus = Literal["running", "completed", "failed"]
Verdict = Literal["accepted", "edited", "rejected"]


class DraftCreate(RequestModel):
    ticket: str = Field(
        min_length=1,
        max_length=5000,
        pattern=FILLED_NO_NUL,
        description="The customer's ticket. Personal data (e-mail addresses, phone and card "
        "numbers) is replaced by placeholders before it leaves for the model provider.",
    )


class DraftVerdict(RequestModel):
    verdict: Literal["accepted", "rejected"]


class DraftEdit(RequestModel):
    verdict: Literal["edited"]
    edited_reply: str = Field(
        min_length=1,
        max_length=8000,
        pattern=FILLED_NO_NUL,
        description="The reply as the agent sent it.",
    )


DraftFeedbackIn = DraftVerdict | DraftEdit
"""A verdict; `edited_reply` comes with `edited`, and only with it (the contract says so)."""


class CitedArticle(BaseModel):
    slug: str
    title: str


class DraftStep(BaseModel):
    index: int
    kind: Literal["tool", "model"]
    name: str
    arguments: dict[str, Any] | None
    result: JsonValue
    error: str | None
    duration_ms: float


class DraftFeedbackOut(BaseModel):
    verdict: Verdict
    edited_reply: str | None
    at: datetime


class DraftOut(BaseModel):
    id: uuid.UUID
    status: DraftStatus
    ticket: str = Field(description="As the caller wrote it for its owner; redacted for others.")
    reply: str | None
    category: str | None
    confidence_note: str | None
    cited_articles: list[CitedArticle]
    prompt_version: str
    provider: str | None
    model: str | None
    input_tokens: int
    output_tokens: int
    cost: float
    steps: list[DraftStep]
    error: str | None
    feedback: DraftFeedbackOut | None
    created_at: datetime
    completed_at: datetime | None


class DraftPage(BaseModel):
    items: list[DraftOut]
    total: int = Field(description="Drafts visible to the caller in all pages.")
