"""Monitoring task (queue `batch`, run by beat every `monitoring_interval_s`): drift and
quality of the champion and challenger, stored and published as gauges."""

from typing import Any

from server.services.monitoring.checks import run_checks
from server.taskqueue.payloads import MonitorPayload
from server.worker.celery_worker import celery, settings
from server.worker.serving import serving_state
from server.worker.task_contract import payload_task


@payload_task(celery, MonitorPayload, ignore_result=True)
def monitoring_task(payload: MonitorPayload) -> dict[str, Any]:
    """One monitoring pass; returns the severities and statuses found (for logs and tests)."""
    state = serving_state(settings)
    results, trigger = state.run(lambda database: run_checks(database, settings, celery))
    return {
        "versions": {
            r.role: {
                "version": r.quality.target.version,
                "drift": [d.report.severity.value for d in r.drift],
                "quality": r.quality.report.status,
            }
            for r in results
        },
        "trigger": None if trigger is None else trigger.reason,
    }
