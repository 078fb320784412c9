"""Reply drafts: ask for one, read it with its trace, give feedback on it."""

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, JsonValue, model_validator

from server.core.text import FILLED_NO_NUL, NO_NUL
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


class FeedbackIn(RequestModel):
    verdict: Verdict
    edited_reply: str | None = Field(
        None,
        min_length=1,
        max_length=8000,
        pattern=NO_NUL,
        description="The reply as the agent sent it; required when (and only when) edited.",
    )

    @model_validator(mode="after")
    def _edited_iff_text(self) -> Self:
        if (self.verdict == "edited") != (self.edited_reply is not None):
            raise ValueError("edited_reply is required when the verdict is edited, and only then")
        return self


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


class FeedbackOut(BaseModel):
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
    feedback: FeedbackOut | None
    created_at: datetime
    completed_at: datetime | None


class DraftPage(BaseModel):
    items: list[DraftOut]
    total: int = Field(description="Drafts visible to the caller in all pages.")
