"""Retraining triggers: monitoring asks for a new version on major drift, or when quality
stays below the gates for `retrain_quality_windows` consecutive windows.

`retrain_trigger=suggest` logs, records and counts the trigger; `auto` also enqueues a
training run through the training service, recording why it started. A run started this
way registers a candidate and never promotes it: a person (or the canary) decides. After a
trigger, `retrain_cooldown_s` must pass before the next one for the same model.
"""

from datetime import timedelta

import structlog
from celery import Celery

from server.agents.monitoring.drift import Severity
from server.agents.monitoring.report import DriftReport
from server.config import Settings
from server.core.ml_metrics import RETRAIN_TRIGGERS
from server.database import monitoring_repository as repo
from server.database.base import utcnow
from server.database.monitoring_models import RetrainTrigger
from server.database.session import Database
from server.services import training
from server.services.monitoring.reports import MonitoredVersion

log = structlog.get_logger(__name__)

MONITORING_ACTOR = "monitoring"


def drift_reason(report: DriftReport) -> str | None:
    """Why drift asks for retraining: the features with major drift, or None."""
    major = [f for f in report.features if f.severity is Severity.major]
    if not major:
        return None
    return "major drift: " + ", ".join(f"{f.feature} (PSI {f.psi:.3f})" for f in major)


async def quality_reason(database: Database, target: MonitoredVersion, windows: int) -> str | None:
    """Why quality asks for retraining: the last `windows` judged windows all below a gate."""
    async with database.session() as session:
        recent = await repo.recent_quality(session, target.model, target.version, windows)
    if len(recent) < windows or not all(r.status == "ok" and r.below_gate for r in recent):
        return None
    failed = sorted({gate for r in recent for gate in r.report.get("failed_gates", [])})
    return f"quality below gates ({', '.join(failed)}) for {windows} consecutive windows"


async def consider_retraining(
    database: Database,
    settings: Settings,
    celery: Celery,
    target: MonitoredVersion,
    drift: DriftReport,
) -> RetrainTrigger | None:
    """Trigger retraining of `target`'s model if drift or quality calls for it."""
    mode = settings.retrain_trigger
    if mode == "off":
        return None
    reason, detail = "drift", drift_reason(drift)
    if detail is None:
        reason = "quality"
        detail = await quality_reason(database, target, settings.retrain_quality_windows)
    if detail is None:
        return None
    async with database.session() as session:
        last = await repo.latest_trigger(session, target.model)
    if last is not None and utcnow() - last.created_at < timedelta(
        seconds=settings.retrain_cooldown_s
    ):
        log.info("monitoring.retrain_cooling_down", model_name=target.model, reason=reason)
        return None
    run_id = None
    if mode == "auto":
        run = await training.start_run(
            database,
            settings,
            celery,
            training.RunParams(),
            requested_by=MONITORING_ACTOR,
            trigger=MONITORING_ACTOR,
            reason=detail,
        )
        run_id = run.id
    trigger = RetrainTrigger(
        model_name=target.model,
        version=target.version,
        reason=reason,
        action=mode,
        detail=detail[:500],
        training_run_id=run_id,
    )
    async with database.session() as session:
        repo.add_trigger(session, trigger)
        await session.commit()
    RETRAIN_TRIGGERS.labels(target.model, reason, mode).inc()
    log.warning(
        "monitoring.retrain_triggered",
        model_name=target.model,
        model_version=target.version,
        reason=reason,
        action=mode,
        detail=detail,
        run_id=str(run_id) if run_id else None,
    )
    return trigger
