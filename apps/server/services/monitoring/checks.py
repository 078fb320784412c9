"""The scheduled monitoring pass: drift and quality of the champion and the challenger,
stored, published as gauges, and judged for retraining."""

from dataclasses import dataclass, replace

import structlog
from celery import Celery

from server.config import Settings
from server.database import monitoring_repository as repo
from server.database.monitoring_models import DriftRecord, QualityRecord, RetrainTrigger
from server.database.session import Database
from server.services import registry
from server.services.monitoring.gauges import publish_drift, publish_gates, publish_quality
from server.services.monitoring.reports import (
    DriftResult,
    QualityResult,
    compute_drift,
    compute_quality,
    monitored_version,
)
from server.services.monitoring.retraining import consider_retraining

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """What one pass found for one served version."""

    role: str
    drift: list[DriftResult]
    quality: QualityResult


def _drift_record(result: DriftResult) -> DriftRecord:
    return DriftRecord(
        model_name=result.target.model,
        version=result.target.version,
        role=result.target.role,
        shadow=result.shadow,
        window_size=result.report.window_size,
        window_start=result.window_start,
        window_end=result.window_end,
        severity=result.report.severity.value,
        report=result.report.model_dump(mode="json"),
    )


def _quality_record(result: QualityResult) -> QualityRecord:
    return QualityRecord(
        model_name=result.target.model,
        version=result.target.version,
        role=result.target.role,
        window_size=result.report.labelled,
        window_start=result.window_start,
        window_end=result.window_end,
        status=result.report.status,
        below_gate=result.report.below_gate,
        report=result.report.model_dump(mode="json"),
    )


async def check_version(
    database: Database, settings: Settings, role: str, version: int
) -> CheckResult:
    """Compute, store and publish the reports of one served version.

    The challenger is judged on its canary traffic and, separately, on its shadow scores;
    its gauges show whichever window is larger.
    """
    async with database.session() as session:
        target = replace(await monitored_version(session, settings.model_name, version), role=role)
        windows = [False, True] if role == registry.CHALLENGER else [False]
        drift = [await compute_drift(session, settings, target, shadow=s) for s in windows]
        quality = await compute_quality(session, settings, target)
        repo.add_reports(session, [*map(_drift_record, drift), _quality_record(quality)])
        await session.commit()
    for result in drift:
        log.info(
            "monitoring.drift_computed",
            model_name=target.model,
            model_version=target.version,
            role=role,
            shadow=result.shadow,
            window_size=result.report.window_size,
            severity=result.report.severity.value,
        )
    log.info(
        "monitoring.quality_computed",
        model_name=target.model,
        model_version=target.version,
        role=role,
        labelled=quality.report.labelled,
        status=quality.report.status,
        failed_gates=quality.report.failed_gates,
    )
    publish_drift(max(drift, key=lambda r: r.report.window_size))
    publish_quality(quality)
    return CheckResult(role=role, drift=drift, quality=quality)


async def run_checks(
    database: Database, settings: Settings, celery: Celery
) -> tuple[list[CheckResult], RetrainTrigger | None]:
    """One pass over the served versions of `settings.model_name`; then the champion's
    reports decide on retraining."""
    publish_gates(settings)
    async with database.session() as session:
        served = await registry.served_versions(session, settings.model_name)
    results = [
        await check_version(database, settings, role, served[role][0])
        for role in (registry.CHAMPION, registry.CHALLENGER)
        if role in served
    ]
    champion = next((r for r in results if r.role == registry.CHAMPION), None)
    trigger = None
    if champion is not None:
        trigger = await consider_retraining(
            database, settings, celery, champion.quality.target, champion.drift[0].report
        )
    return results, trigger
