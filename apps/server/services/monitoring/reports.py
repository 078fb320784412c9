"""Monitoring use cases: the drift and quality of one model version, computed on demand.

A version's reference statistics come from its manifest (stored with the version in the
registry and validated by `agents.artifacts`); the windows are its most recent predictions
within `monitoring_lookback_h`. The statistics run in a thread: never on the event loop.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.artifacts.manifest import ArtifactManifest
from server.agents.monitoring.quality_report import QualityReport, QualityWindow, gate_thresholds
from server.agents.monitoring.quality_report import quality_report as judge_quality
from server.agents.monitoring.report import DriftReport, DriftWindow, drift_report
from server.agents.numeric import FloatArray
from server.config import Settings
from server.core.errors import NotFoundError
from server.database import monitoring_repository as repo
from server.database import registry_repository
from server.database.base import utcnow
from server.services import registry


@dataclass(frozen=True)
class MonitoredVersion:
    """A version to judge: its number, its alias (if any) and its manifest."""

    model: str
    version: int
    role: str | None
    manifest: ArtifactManifest


@dataclass(frozen=True)
class DriftResult:
    target: MonitoredVersion
    shadow: bool
    window_start: datetime | None
    window_end: datetime | None
    report: DriftReport


@dataclass(frozen=True)
class QualityResult:
    target: MonitoredVersion
    window_start: datetime
    window_end: datetime
    report: QualityReport


def quality_gates(settings: Settings) -> dict[str, float]:
    """The gates a window's quality is judged against, by metric."""
    return gate_thresholds(settings.gates)


async def monitored_version(
    session: AsyncSession, model_name: str, version: int | None
) -> MonitoredVersion:
    """The version to judge (the champion when `version` is None); 404 if unknown."""
    model = await registry.require_model(session, model_name)
    aliases = await registry_repository.list_aliases(session, model)
    if version is None:
        if registry.CHAMPION not in aliases:
            raise NotFoundError(f"Model '{model_name}' has no champion yet.")
        version = aliases[registry.CHAMPION]
    row = await registry.require_version(session, model, version)
    role = next((alias for alias, number in sorted(aliases.items()) if number == version), None)
    return MonitoredVersion(
        model=model_name,
        version=version,
        role=role,
        manifest=ArtifactManifest.model_validate(row.manifest),
    )


async def compute_drift(
    session: AsyncSession,
    settings: Settings,
    target: MonitoredVersion,
    *,
    shadow: bool = False,
    window: int | None = None,
) -> DriftResult:
    """The drift of the newest `window` predictions of `target` against its reference."""
    since = utcnow() - timedelta(hours=settings.monitoring_lookback_h)
    size = window or settings.monitoring_window_size
    rows = await repo.drift_rows(
        session, target.model, target.version, shadow=shadow, since=since, limit=size
    )
    live = DriftWindow(
        text_lengths=[float(row.input_length) for row in rows],
        oov_rates=[row.oov_rate for row in rows if row.oov_rate is not None],
        labels=[row.label for row in rows],
        confidences=[row.confidence for row in rows],
    )
    report = await asyncio.to_thread(drift_report, target.manifest.reference, live, settings.drift)
    return DriftResult(
        target=target,
        shadow=shadow,
        window_start=rows[-1].created_at if rows else None,
        window_end=rows[0].created_at if rows else None,
        report=report,
    )


def _matrix(probabilities: list[dict[str, float]], labels: list[str]) -> FloatArray:
    matrix = np.asarray(
        [[row.get(label, 0.0) for label in labels] for row in probabilities], dtype=np.float64
    )
    return matrix.reshape(len(probabilities), len(labels))


async def compute_quality(
    session: AsyncSession,
    settings: Settings,
    target: MonitoredVersion,
    *,
    until: datetime | None = None,
) -> QualityResult:
    """Quality of `target` over the period ending `until` (now): its newest served
    predictions with feedback, and the label-free estimate over all of them."""
    end = until or utcnow()
    start = end - timedelta(hours=settings.monitoring_lookback_h)
    served, labelled = [
        await repo.quality_rows(
            session,
            target.model,
            target.version,
            since=start,
            until=end,
            limit=settings.quality_window,
            labelled=with_feedback,
        )
        for with_feedback in (False, True)
    ]
    labels = target.manifest.labels
    window = QualityWindow(
        labels=labels,
        proba=_matrix([row.probabilities for row in served], labels),
        feedback=[row.feedback_label for row in labelled if row.feedback_label is not None],
        feedback_proba=_matrix([row.probabilities for row in labelled], labels),
        feedback_lengths=[row.input_length for row in labelled],
    )
    report = await asyncio.to_thread(
        judge_quality, window, labels, settings.quality, settings.gates
    )
    return QualityResult(target=target, window_start=start, window_end=end, report=report)
