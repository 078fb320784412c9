"""Feedback: the true label of a prediction, recorded once."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.core.errors import ConflictError, NotFoundError, UnprocessableError
from server.core.ml_metrics import FEEDBACK
from server.database import prediction_repository as repo
from server.database.base import utcnow
from server.database.serving_models import Prediction


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
