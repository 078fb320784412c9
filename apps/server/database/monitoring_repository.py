"""Queries of monitoring: the prediction windows it judges, and its stored reports."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.monitoring_models import DriftRecord, QualityRecord, RetrainTrigger
from server.database.serving_models import Prediction


async def drift_rows(
    session: AsyncSession, model: str, version: int, *, shadow: bool, since: datetime, limit: int
) -> Sequence[Row[datetime, int, float | None, str, float]]:
    """(created_at, input_length, oov_rate, label, confidence) of the newest predictions."""
    query = (
        select(
            Prediction.created_at,
            Prediction.input_length,
            Prediction.oov_rate,
            Prediction.label,
            Prediction.confidence,
        )
        .where(
            Prediction.model_name == model,
            Prediction.version == version,
            Prediction.shadow == shadow,
            Prediction.created_at >= since,
        )
        .order_by(Prediction.created_at.desc())
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def quality_rows(
    session: AsyncSession,
    model: str,
    version: int,
    *,
    since: datetime,
    until: datetime,
    limit: int,
    labelled: bool,
) -> Sequence[Row[dict[str, Any], str | None, int]]:
    """(probabilities, feedback_label, input_length) of the newest served predictions of
    the period, only those with feedback when `labelled`."""
    query = select(Prediction.probabilities, Prediction.feedback_label, Prediction.input_length)
    query = query.where(
        Prediction.model_name == model,
        Prediction.version == version,
        Prediction.shadow.is_(False),
        Prediction.created_at >= since,
        Prediction.created_at <= until,
    )
    if labelled:
        query = query.where(Prediction.feedback_label.is_not(None))
    query = query.order_by(Prediction.created_at.desc()).limit(limit)
    return (await session.execute(query)).all()


def add_reports(session: AsyncSession, reports: Iterable[DriftRecord | QualityRecord]) -> None:
    """Add the drift and quality reports of one check to the transaction."""
    session.add_all(reports)


def add_trigger(session: AsyncSession, trigger: RetrainTrigger) -> None:
    session.add(trigger)


async def latest_drift(
    session: AsyncSession, model: str, version: int, *, shadow: bool = False
) -> DriftRecord | None:
    query = select(DriftRecord).where(
        DriftRecord.model_name == model,
        DriftRecord.version == version,
        DriftRecord.shadow == shadow,
    )
    return await session.scalar(query.order_by(DriftRecord.created_at.desc()).limit(1))


async def recent_quality(
    session: AsyncSession, model: str, version: int, count: int
) -> Sequence[QualityRecord]:
    """The `count` newest quality reports of a version, newest first."""
    query = select(QualityRecord).where(
        QualityRecord.model_name == model, QualityRecord.version == version
    )
    query = query.order_by(QualityRecord.created_at.desc()).limit(count)
    return (await session.scalars(query)).all()


async def latest_trigger(session: AsyncSession, model: str) -> RetrainTrigger | None:
    query = select(RetrainTrigger).where(RetrainTrigger.model_name == model)
    return await session.scalar(query.order_by(RetrainTrigger.created_at.desc()).limit(1))
