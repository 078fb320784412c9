"""A version's quality over successive windows: the scheduled checks it stored."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.database import monitoring_repository as repo
from server.database.monitoring_models import QualityRecord
from server.schemas.monitoring import IntervalOut, QualityHistoryOut, QualityPointOut
from server.services.monitoring import reports

METRICS = ("accuracy", "precision", "recall", "macro_auc")


def _interval(feedback: dict[str, Any] | None, metric: str) -> IntervalOut | None:
    value = (feedback or {}).get(metric)
    return IntervalOut.model_validate(value) if isinstance(value, dict) else None


def _point(record: QualityRecord) -> QualityPointOut:
    feedback = record.report.get("feedback")
    feedback = feedback if isinstance(feedback, dict) else None
    intervals = {metric: _interval(feedback, metric) for metric in METRICS}
    return QualityPointOut(
        window_end=record.window_end,
        created_at=record.created_at,
        status="ok" if record.status == "ok" else "insufficient_data",
        labelled=record.window_size,
        below_gate=record.below_gate,
        **intervals,
    )


async def quality_history_out(
    session: AsyncSession,
    settings: Settings,
    model: str | None,
    version: int | None,
    count: int,
) -> QualityHistoryOut:
    """The `count` newest stored quality checks of a version (the champion by default)."""
    target = await reports.monitored_version(session, model or settings.model_name, version)
    records = await repo.recent_quality(session, target.model, target.version, count)
    return QualityHistoryOut(
        model=target.model,
        version=target.version,
        role=target.role,
        confidence_level=settings.quality.confidence_level,
        gates=reports.quality_gates(settings),
        points=[_point(record) for record in reversed(records)],
    )
