"""Predictions, feedback and traffic policies over HTTP."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from server.core.text import FilledText, PlainText
from server.schemas.base import RequestModel

# Hard ceilings of the contract; a deployment may set lower limits in Settings
# (`predict_max_texts`, `max_text_chars`) and answers 422 above them.
MAX_TEXTS_CEILING = 1024
MAX_TEXT_CHARS_CEILING = 20_000


TicketText = Annotated[
    FilledText,
    Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS_CEILING,
        description="Not blank; at most `APP_MAX_TEXT_CHARS` characters.",
    ),
]


class PredictionRequest(RequestModel):
    texts: list[TicketText] = Field(
        min_length=1,
        max_length=MAX_TEXTS_CEILING,
        description="Ticket texts to triage (at most `APP_PREDICT_MAX_TEXTS` in one call).",
        examples=[["I was charged twice for my subscription", "The app crashes on login"]],
    )


class PredictionOut(BaseModel):
    id: uuid.UUID = Field(description="Quote it to send feedback.")
    label: str = Field(examples=["billing"])
    confidence: float = Field(ge=0, le=1, examples=[0.93])
    probabilities: dict[str, float] = Field(
        examples=[{"billing": 0.93, "refund": 0.04, "technical": 0.01}]
    )


class PredictionResponse(BaseModel):
    model: str = Field(examples=["ticket-triage"])
    version: int = Field(description="The model version that answered.", examples=[3])
    predictions: list[PredictionOut]


class FeedbackRequest(RequestModel):
    label: PlainText = Field(min_length=1, max_length=100, examples=["refund"])


class FeedbackOut(BaseModel):
    prediction_id: uuid.UUID
    predicted_label: str
    label: str
    correct: bool
    recorded_at: datetime


class TrafficPolicyIn(RequestModel):
    challenger_weight: int = Field(ge=0, le=100, description="Percent of keys to challenger.")
    shadow_sample: float = Field(
        0.0, ge=0.0, le=1.0, description="Share of champion traffic also scored, unseen."
    )


class TrafficPolicyOut(BaseModel):
    model: str
    champion: int | None
    challenger: int | None
    challenger_weight: int
    shadow_sample: float
    updated_by: str
