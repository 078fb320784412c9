"""Queries of the prediction log. No business rules here: those live in services.

Monitoring's reads of prediction windows live in `monitoring_repository.py`.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.serving_models import Prediction

# The table, not the class: a Core INSERT of plain rows skips the ORM's bulk machinery,
# which cost about half of the prediction log's CPU in the API under load.
_PREDICTIONS: Table = Prediction.__table__  # type: ignore[assignment]


async def insert_predictions(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row INSERT for every row: one round trip, not one per prediction."""
    await session.execute(insert(_PREDICTIONS), list(rows))


async def get_prediction_for_update(
    session: AsyncSession, prediction_id: uuid.UUID
) -> Prediction | None:
    """The prediction, locked until the transaction ends (PostgreSQL; SQLite serializes)."""
    return await session.get(Prediction, prediction_id, with_for_update=True)


async def clear_inputs_before(session: AsyncSession, cutoff: datetime) -> int:
    """Forget the raw text of predictions made before `cutoff`; how many were cleared."""
    result = await session.execute(
        update(Prediction)
        .where(Prediction.created_at < cutoff, Prediction.input_text.is_not(None))
        .values(input_text=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
