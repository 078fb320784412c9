"""Feedback: the true label of a prediction, recorded once.

Predictions are written in buffered batches (`record_buffer.py`), so feedback can arrive
before its prediction's row: this process writes its buffer at once when it holds the id,
and an id found nowhere is looked up once more after one flush interval, the longest any
API process keeps a record unwritten, before the answer is 404.
"""

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.core.errors import ConflictError, NotFoundError, UnprocessableError
from server.core.ml_metrics import FEEDBACK
from server.database import prediction_repository as repo
from server.database.base import utcnow
from server.database.serving_models import Prediction
from server.database.session import Database
from server.schemas.predictions import FeedbackOut, FeedbackRequest
from server.services.predictions.record_buffer import RecordBuffer

FLUSH_MARGIN_S = 0.05
"""Time for a flush that is due to reach the database (one multi-row INSERT)."""


async def record_feedback(
    session: AsyncSession,
    prediction_id: uuid.UUID,
    label: str,
    labels: list[str],
    *,
    owner: str | None,
) -> Prediction:
    """Store `label` as the truth; the same label again is fine, a different one is 409.

    Only the user who asked for the prediction (or an administrator: `owner` None) may;
    anyone else gets the same 404 as for an unknown id.
    """
    if label not in labels:
        raise UnprocessableError(
            f"body.label: '{label}' is not a label of the model ({', '.join(labels)})."
        )
    prediction = await repo.get_prediction_for_update(session, prediction_id)
    if prediction is None or prediction.shadow or (owner and prediction.requested_by != owner):
        raise NotFoundError(f"There is no prediction {prediction_id}.")
    if prediction.feedback_label is not None:
        if prediction.feedback_label != label:
            raise ConflictError(
                f"Prediction {prediction_id} already has feedback '{prediction.feedback_label}'."
            )
        return prediction
    prediction.feedback_label, prediction.feedback_at = label, utcnow()
    await session.commit()
    correct = "true" if label == prediction.label else "false"
    FEEDBACK.labels(prediction.model_name, str(prediction.version), correct).inc()
    return prediction


async def give_feedback(
    database: Database,
    records: RecordBuffer,
    prediction_id: uuid.UUID,
    body: FeedbackRequest,
    labels: list[str],
    *,
    owner: str | None,
) -> FeedbackOut:
    """Record the feedback of a prediction made moments ago, by this process or another."""
    if records.holds(prediction_id):
        await records.flush()
    try:
        prediction = await _record(database, prediction_id, body.label, labels, owner)
    except NotFoundError:
        # Another API process may still hold the record: it writes within one interval.
        await asyncio.sleep(records.flush_s + FLUSH_MARGIN_S)
        prediction = await _record(database, prediction_id, body.label, labels, owner)
    assert prediction.feedback_at is not None  # noqa: S101 - set by record_feedback
    return FeedbackOut(
        prediction_id=prediction.id,
        predicted_label=prediction.label,
        label=body.label,
        correct=prediction.label == body.label,
        recorded_at=prediction.feedback_at,
    )


async def _record(
    database: Database,
    prediction_id: uuid.UUID,
    label: str,
    labels: list[str],
    owner: str | None,
) -> Prediction:
    async with database.session() as session:
        return await record_feedback(session, prediction_id, label, labels, owner=owner)
