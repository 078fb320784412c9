"""Feedback: the true label of a prediction, recorded once, however soon it is sent.

Predictions are written in buffered batches (`record_buffer.py`), so feedback can arrive
before its prediction's record. A client may send feedback on any id it was given, so:

- if this process still holds the record, it writes it at once;
- else another API process may hold it, for at most one flush interval after it issued the
  id. Prediction ids carry the time they were issued (`records.new_prediction_id`), so only
  an id young enough to be in some buffer is looked for again, a few times, until that
  interval (plus `feedback_wait_ms` for a slow write and clock skew) has passed. Any other
  id, one never issued or long written, is answered 404 at once.
"""

import asyncio
import time
import uuid

from sqlalchemy.exc import DBAPIError

from server.core.database_busy import lost_a_race
from server.core.errors import ConflictError, NotFoundError, UnprocessableError
from server.core.ml_metrics import FEEDBACK
from server.database import prediction_repository as repo
from server.database.base import utcnow
from server.database.serving_models import Prediction
from server.database.session import Database
from server.services.predictions.record_buffer import RecordBuffer
from server.services.predictions.records import issued_at

FIRST_LOOK_AGAIN_S = 0.02
"""Pause before looking for a record again; it doubles each time, up to `LONGEST_PAUSE_S`."""
LONGEST_PAUSE_S = 0.25
RACE_ATTEMPTS = 3
"""Transactions tried when concurrent ones win the race (serialization failure, deadlock)."""


def written_by(prediction_id: uuid.UUID, longest_s: float) -> float:
    """The (Unix) time by which the record of `prediction_id`, if any process made one, is
    in the database: `longest_s` after the id was issued, and never later than `longest_s`
    from now (an id that claims to come from the future waits no longer than a fresh one)."""
    now = time.time()
    issued = issued_at(prediction_id)
    if issued is None:
        return now  # not issued by a buffering process: its record is found or never will be
    return min(issued + longest_s, now + longest_s)


async def give_feedback(
    database: Database,
    records: RecordBuffer,
    prediction_id: uuid.UUID,
    label: str,
    labels: list[str],
    *,
    owner: str | None,
    wait_s: float,
) -> Prediction:
    """Store `label` as the truth; the same label again is fine, a different one is 409.

    Only the user who asked for the prediction (or an administrator: `owner` None) may;
    anyone else gets the same 404 as for an unknown id. `wait_s` is how long, beyond one
    flush interval, a young id's record may take to be written by another process.
    """
    if label not in labels:
        raise UnprocessableError(
            f"body.label: '{label}' is not a label of the model ({', '.join(labels)})."
        )
    await records.write_now(prediction_id)
    deadline = written_by(prediction_id, records.flush_s + wait_s)
    pause = FIRST_LOOK_AGAIN_S
    while (prediction := await _record_retrying(database, prediction_id, label, owner)) is None:
        left = deadline - time.time()
        if left <= 0:
            raise NotFoundError(f"There is no prediction {prediction_id}.")
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE_S)
    return prediction


async def _record_retrying(
    database: Database, prediction_id: uuid.UUID, label: str, owner: str | None
) -> Prediction | None:
    attempt = 1
    while True:
        try:
            return await _record(database, prediction_id, label, owner)
        except DBAPIError as exc:
            # Recording feedback is idempotent: a fresh transaction may simply try again.
            # A busy database (a lock not granted in time) is answered 503 by the caller.
            if attempt == RACE_ATTEMPTS or not lost_a_race(exc):
                raise
            attempt += 1


async def _record(
    database: Database, prediction_id: uuid.UUID, label: str, owner: str | None
) -> Prediction | None:
    """One transaction: the updated prediction, or None while it has no record (yet)."""
    async with database.session(writes=True) as session:
        prediction = await repo.get_prediction_for_update(session, prediction_id)
        if prediction is None:
            return None
        if prediction.shadow or (owner and prediction.requested_by != owner):
            raise NotFoundError(f"There is no prediction {prediction_id}.")
        if prediction.feedback_label is not None:
            if prediction.feedback_label != label:
                raise ConflictError(
                    f"Prediction {prediction_id} already has feedback "
                    f"'{prediction.feedback_label}'."
                )
            return prediction
        prediction.feedback_label, prediction.feedback_at = label, utcnow()
        await session.commit()
    correct = "true" if label == prediction.label else "false"
    FEEDBACK.labels(prediction.model_name, str(prediction.version), correct).inc()
    return prediction
