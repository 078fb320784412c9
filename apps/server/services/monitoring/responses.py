"""What the monitoring routes answer: one function per route, in the response's shape."""

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.schemas.monitoring import (
    DriftOut,
    LatencyOut,
    ModelOverviewOut,
    OverviewOut,
    QualityOut,
    TrafficOut,
    TrafficStepOut,
    VersionCountOut,
)
from server.services import registry
from server.services.monitoring import reports
from server.services.monitoring.overview import overview
from server.services.monitoring.traffic import traffic_series
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


async def traffic_out(
    session: AsyncSession, settings: Settings, model: str | None, minutes: int
) -> TrafficOut:
    """A model's answered predictions over the last `minutes`: rate, latency, versions."""
    name = model or settings.model_name
    await registry.require_model(session, name)  # 404 for a model that does not exist
    series = await traffic_series(session, name, minutes)
    per_minute = 60 / series.step_s
    return TrafficOut(
        model=series.model,
        window_start=series.window_start,
        window_end=series.window_end,
        step_s=series.step_s,
        steps=[
            TrafficStepOut(
                start=step.start,
                predictions=step.predictions,
                per_minute=round(step.predictions * per_minute, 3),
                versions=[
                    VersionCountOut(version=v, predictions=n) for v, n in step.by_version.items()
                ],
                latency_ms=(
                    LatencyOut(
                        p50=step.latency_ms[0.5],
                        p95=step.latency_ms[0.95],
                        p99=step.latency_ms[0.99],
                    )
                    if step.latency_ms
                    else None
                ),
            )
            for step in series.steps
        ],
    )
