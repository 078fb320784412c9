"""Sync predictions and feedback."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request

from server.core.text import NO_NUL
from server.routes import API_V1
from server.routes.deps import PredictionServiceDep, Predictor
from server.schemas.predictions import (
    FeedbackOut,
    FeedbackRequest,
    PredictionOut,
    PredictionRequest,
    PredictionResponse,
)
from server.schemas.problem import problem_responses
from server.services.predictions.service import Caller

router = APIRouter(
    prefix=f"{API_V1}/predictions", tags=["predictions"], responses=problem_responses(401, 403, 429)
)

RoutingKey = Annotated[
    str | None,
    Header(
        alias="X-Routing-Key",
        max_length=128,
        pattern=NO_NUL,
        description="Sticky canary routing: the same key always meets the same version.",
    ),
]


@router.post(
    "",
    summary="Triage 1 to N tickets now",
    responses=problem_responses(422, 503, 504),
)
async def predict(
    body: PredictionRequest,
    request: Request,
    service: PredictionServiceDep,
    principal: Predictor,
    routing_key: RoutingKey = None,
) -> PredictionResponse:
    request_id: str = request.state.request_id
    caller = Caller(
        user=principal.user_id,
        routing_key=routing_key or principal.user_id,
        request_id=request_id,
    )
    result = await service.predict(body.texts, caller)
    return PredictionResponse(
        model=result.model,
        version=result.version,
        predictions=[
            PredictionOut(
                id=p.id, label=p.label, confidence=p.confidence, probabilities=p.probabilities
            )
            for p in result.predictions
        ],
    )


@router.post(
    "/{prediction_id}/feedback",
    summary="Record the true label of a prediction (once)",
    responses=problem_responses(404, 409, 422),
)
async def give_feedback(
    prediction_id: uuid.UUID,
    body: FeedbackRequest,
    service: PredictionServiceDep,
    principal: Predictor,
) -> FeedbackOut:
    # Feedback may follow its prediction at once: a record not written yet is waited for.
    prediction = await service.record_feedback(
        prediction_id, body.label, owner=principal.owner_filter
    )
    assert prediction.feedback_at is not None  # noqa: S101 - set by record_feedback
    return FeedbackOut(
        prediction_id=prediction.id,
        predicted_label=prediction.label,
        label=body.label,
        correct=prediction.label == body.label,
        recorded_at=prediction.feedback_at,
    )
