"""Request and response models of the prompt registry API (shaped like the models API)."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.core.text import SafeText
from server.schemas.base import RequestModel
from server.schemas.training import GateResultOut

SPEC_EXAMPLE: dict[str, Any] = {
    "system_prompt": "You draft replies for a customer-support agent...",
    "tool_descriptions": {
        "classify_ticket": "Triage category of a ticket and the classifier's confidence.",
        "search_articles": "Knowledge-base articles matching a query.",
        "earlier_tickets": "The customer's earlier tickets, newest first.",
    },
    "temperature": 0.2,
    "max_output_tokens": 800,
    "max_steps": 6,
}
_SPEC_DESCRIPTION = (
    "The prompt: `system_prompt`, `tool_descriptions` (one per tool: classify_ticket, "
    "search_articles, earlier_tickets), and the model parameters `temperature`, "
    "`max_output_tokens`, `max_steps`."
)


class PromptVersionIn(RequestModel):
    spec: dict[str, Any] = Field(description=_SPEC_DESCRIPTION, examples=[SPEC_EXAMPLE])
    description: SafeText = Field("", max_length=2000, examples=["shorter replies"])


class PromptVersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(examples=[3])
    label: str = Field(description="The name drafts and metrics give it.", examples=["v3"])
    digest: str = Field(description="sha256 of the canonical spec.")
    description: str
    aliases: list[str] = Field(default_factory=list, examples=[["champion"]])
    scores: dict[str, float] | None = Field(
        None,
        description="Mean scores of its latest evaluation, if it was evaluated.",
        examples=[{"tool_choice": 1.0, "citation": 0.92, "category": 0.96}],
    )
    created_by: str
    created_at: datetime


class PromptVersionDetail(PromptVersionSummary):
    spec: dict[str, Any] = Field(description=_SPEC_DESCRIPTION, examples=[SPEC_EXAMPLE])
    eval_report: dict[str, Any] | None = Field(
        None,
        description="Its latest evaluation report: scores, each ticket's result, and the "
        "gate it met when it was promoted.",
    )


class PromptAliasMove(BaseModel):
    alias: str
    version: int
    previous_version: int | None
    gate: list[GateResultOut] = Field(
        default_factory=list, description="The evaluation gate's checks (champion moves)."
    )


class PromptCanaryIn(RequestModel):
    challenger_weight: int = Field(ge=0, le=100, description="Percent of keys to challenger.")


class PromptCanaryOut(BaseModel):
    champion: int | None = Field(description="Null: drafts run under the builtin prompt.")
    challenger: int | None
    challenger_weight: int
    updated_by: str


class PromptEvalRunOut(BaseModel):
    """An evaluation run of a prompt version (or of the builtin prompt) on the queue."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prompt_version: int | None = Field(description="Null: the builtin prompt.", examples=[3])
    status: Literal["queued", "running", "succeeded", "failed"]
    eval_set_digest: str = Field(description="The evaluation set it drafts (sha256).")
    report: dict[str, Any] | None = Field(
        None, description="Scores and each ticket's result, once it succeeded."
    )
    error: dict[str, Any] | None = Field(None, description="Why it failed: kind and detail.")
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
