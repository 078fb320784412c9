"""Beat's schedule: periodic retraining is off until a cron expression is set."""

import pytest

from server.taskqueue.names import MONITOR_TASK, TRAIN_TASK
from server.tests.support.settings import SettingsFactory
from server.worker.schedule import beat_schedule, parse_cron


def test_no_cron_means_no_periodic_retraining(make_settings: SettingsFactory) -> None:
    assert set(beat_schedule(make_settings())) == {
        "sweep-stuck-jobs",
        "purge-prediction-inputs",
        "monitoring-checks",
    }


def test_monitoring_runs_at_the_configured_interval(make_settings: SettingsFactory) -> None:
    entry = beat_schedule(make_settings(monitoring_interval_s=120))["monitoring-checks"]
    assert entry == {"task": MONITOR_TASK, "schedule": 120.0}


def test_a_cron_expression_schedules_the_training_task(make_settings: SettingsFactory) -> None:
    schedule = beat_schedule(make_settings(retrain_cron="30 3 * * 0"))
    entry = schedule["periodic-retraining"]
    assert entry["task"] == TRAIN_TASK
    assert entry["kwargs"] == {"run_id": None, "trigger": "schedule"}
    assert entry["schedule"].minute == {30}
    assert entry["schedule"].hour == {3}
    assert entry["schedule"].day_of_week == {0}


@pytest.mark.parametrize("expression", ["* * * *", "1 2 3 4 5 6", ""])
def test_a_malformed_cron_expression_is_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="expected 5 cron fields"):
        parse_cron(expression)
