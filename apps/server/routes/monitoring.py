"""Model monitoring: an overview of served versions, drift and quality of one version."""

from typing import Annotated

from fastapi import APIRouter, Query

from server.routes import API_V1
from server.routes.deps import MonitoringReader, ServicesDep, SessionDep, SettingsDep
from server.schemas.monitoring import (
    DriftOut,
    OverviewOut,
    QualityHistoryOut,
    QualityOut,
    TrafficOut,
)
from server.schemas.problem import problem_responses
from server.services.monitoring.history import quality_history_out
from server.services.monitoring.responses import (
    drift_out,
    overview_out,
    quality_out,
    traffic_out,
)

router = APIRouter(prefix=f"{API_V1}/monitoring", tags=["monitoring"])

ModelQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="Model name; the served model by default.",
    ),
]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=2_147_483_647, description="Version; the champion by default.")
]


@router.get("/overview", summary="Served versions with their latest drift and quality checks")
async def get_overview(
    session: SessionDep, settings: SettingsDep, services: ServicesDep, _: MonitoringReader
) -> OverviewOut:
    return await overview_out(session, settings, await services.workers.view())


@router.get(
    "/drift",
    summary="Drift of a version's recent predictions against its reference",
    responses=problem_responses(404),
)
async def get_drift(
    *,
    session: SessionDep,
    settings: SettingsDep,
    _: MonitoringReader,
    model: ModelQuery = None,
    version: VersionQuery = None,
    window: Annotated[
        int | None,
        Query(ge=1, le=100_000, description="Newest predictions to judge; default from settings."),
    ] = None,
    shadow: Annotated[
        bool, Query(description="Judge the version's shadow scores instead of its answers.")
    ] = False,
) -> DriftOut:
    return await drift_out(session, settings, model, version, shadow=shadow, window=window)


@router.get(
    "/quality",
    summary="Quality of a version from feedback, its estimate, calibration and segment gap",
    responses=problem_responses(404),
)
async def get_quality(
    *,
    session: SessionDep,
    settings: SettingsDep,
    _: MonitoringReader,
    model: ModelQuery = None,
    version: VersionQuery = None,
) -> QualityOut:
    return await quality_out(session, settings, model, version)


@router.get(
    "/quality/history",
    summary="A version's quality over successive windows: its stored scheduled checks",
    responses=problem_responses(404),
)
async def get_quality_history(
    *,
    session: SessionDep,
    settings: SettingsDep,
    _: MonitoringReader,
    model: ModelQuery = None,
    version: VersionQuery = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Newest checks to return.")] = 24,
) -> QualityHistoryOut:
    return await quality_history_out(session, settings, model, version, limit)


@router.get(
    "/traffic",
    summary="Predictions per minute, latency percentiles and each version's share over time",
    responses=problem_responses(404),
)
async def get_traffic(
    *,
    session: SessionDep,
    settings: SettingsDep,
    _: MonitoringReader,
    model: ModelQuery = None,
    minutes: Annotated[
        int, Query(ge=5, le=1440, description="Window: the last this many minutes, 60 steps.")
    ] = 60,
) -> TrafficOut:
    return await traffic_out(session, settings, model, minutes)
