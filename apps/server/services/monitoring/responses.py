"""What the monitoring routes answer: one function per route, in the response's shape."""

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.schemas.monitoring import DriftOut, ModelOverviewOut, OverviewOut, QualityOut
from server.services.monitoring import reports
from server.services.monitoring.overview import overview
from server.taskqueue.presence import WorkerView


async def overview_out(
    session: AsyncSession, settings: Settings, workers: WorkerView | None = None
) -> OverviewOut:
    """Every served version with its latest stored drift and quality checks, and what the
    live workers make of it (`workers`: None when the heartbeats could not be read)."""
    return OverviewOut(
        retrain_trigger=settings.retrain_trigger,
        interval_s=settings.monitoring_interval_s,
        models=[ModelOverviewOut.model_validate(m) for m in await overview(session, workers)],
    )


async def drift_out(
    session: AsyncSession,
    settings: Settings,
    model: str | None,
    version: int | None,
    *,
    shadow: bool,
    window: int | None,
) -> DriftOut:
    """The drift of a version (the served model's champion by default), computed now."""
    target = await reports.monitored_version(session, model or settings.model_name, version)
    result = await reports.compute_drift(session, settings, target, shadow=shadow, window=window)
    return DriftOut(
        model=target.model,
        version=target.version,
        role=target.role,
        shadow=shadow,
        window_start=result.window_start,
        window_end=result.window_end,
        **result.report.model_dump(mode="json"),
    )


async def quality_out(
    session: AsyncSession, settings: Settings, model: str | None, version: int | None
) -> QualityOut:
    """The quality of a version (the served model's champion by default), computed now."""
    target = await reports.monitored_version(session, model or settings.model_name, version)
    result = await reports.compute_quality(session, settings, target)
    return QualityOut(
        model=target.model,
        version=target.version,
        role=target.role,
        window_start=result.window_start,
        window_end=result.window_end,
        gates=reports.quality_gates(settings),
        **result.report.model_dump(mode="json"),
    )
