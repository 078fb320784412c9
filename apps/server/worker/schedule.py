"""Celery beat's schedule, from Settings."""

from typing import Any

from celery.schedules import crontab

from server.config import Settings
from server.taskqueue.names import MONITOR_TASK, PURGE_TASK, SWEEP_TASK, TRAIN_TASK
from server.taskqueue.payloads import TrainPayload


def parse_cron(expression: str) -> crontab:
    """A five-field cron expression (`minute hour day month weekday`) as a Celery crontab."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 cron fields, got {len(fields)}: {expression!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {
        "sweep-stuck-jobs": {"task": SWEEP_TASK, "schedule": float(settings.jobs_sweep_interval_s)},
        "purge-prediction-inputs": {"task": PURGE_TASK, "schedule": 3600.0},
        "monitoring-checks": {
            "task": MONITOR_TASK,
            "schedule": float(settings.monitoring_interval_s),
        },
    }
    if settings.retrain_cron:
        schedule["periodic-retraining"] = {
            "task": TRAIN_TASK,
            "schedule": parse_cron(settings.retrain_cron),
            "kwargs": TrainPayload(trigger="schedule").model_dump(mode="json"),
        }
    return schedule
