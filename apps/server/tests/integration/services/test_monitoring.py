"""The monitoring pass on both backends: reports stored, gauges set, retraining triggered."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from prometheus_client import REGISTRY
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.config import Settings
from server.database.monitoring_models import DriftRecord, QualityRecord, RetrainTrigger
from server.database.registry_models import TrainingRun
from server.database.serving_models import Prediction
from server.services.monitoring.checks import run_checks
from server.taskqueue.names import TRAIN_TASK, TRAINING
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase
from server.tests.support.models import MODEL, ModelCache
from server.tests.support.monitoring import (
    FakeCelery,
    TrainedVersion,
    add_predictions,
    register,
    trained_version,
)


@pytest.fixture(scope="module")
def trained(model_cache: ModelCache) -> TrainedVersion:
    return trained_version(model_cache)


def _settings(test_database: ProvisionedDatabase, **overrides: Any) -> Settings:
    base = test_database.settings
    values = {
        "drift": base.drift.model_copy(update={"min_window": 300}),
        "quality": base.quality.model_copy(update={"min_labels": 100}),
        **overrides,
    }
    return base.model_copy(update=values)


def _sample(name: str, labels: dict[str, str]) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_pass_stores_reports_and_sets_gauges(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, trained: TrainedVersion
) -> None:
    database = TransactionalDatabase(db_connection)
    settings = _settings(test_database, retrain_trigger="suggest")
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await register(session, trained, 2, "challenger")
        await add_predictions(session, trained, 1, 400, feedback="truth")
        await add_predictions(session, trained, 2, 350, drift=1.0, shadow=True)

    results, trigger = await run_checks(database, settings, FakeCelery())  # type: ignore[arg-type]

    assert [r.role for r in results] == ["champion", "challenger"]
    champion, challenger = results
    assert champion.drift[0].report.severity.value in {"none", "moderate"}
    assert champion.quality.report.status == "ok"
    assert [d.shadow for d in challenger.drift] == [False, True]
    assert challenger.drift[0].report.severity.value == "insufficient_data"  # no canary traffic
    assert challenger.drift[1].report.severity.value == "major"  # drifted shadow traffic
    assert trigger is None  # the champion is fine; the challenger never triggers
    async with database.session() as session:
        drift_rows = (await session.scalars(select(DriftRecord))).all()
        quality_rows = (await session.scalars(select(QualityRecord))).all()
    assert sorted((r.version, r.shadow, r.role) for r in drift_rows) == [
        (1, False, "champion"),
        (2, False, "challenger"),
        (2, True, "challenger"),
    ]
    assert {r.version: r.status for r in quality_rows} == {1: "ok", 2: "insufficient_data"}
    features = {f["feature"] for r in drift_rows for f in r.report["features"]}
    assert features == {"text_length", "oov_rate", "predicted_class", "confidence"}

    severity = {"model": MODEL, "version": "2", "feature": "text_length"}
    assert _sample("model_drift_severity", severity) == 2.0  # the larger window: shadow
    psi = _sample("model_drift_psi", severity)
    assert psi is not None
    assert psi > 0.25
    assert _sample("model_quality_window_size", {"model": MODEL, "version": "1"}) == 400
    auc = _sample("model_quality_score", {"model": MODEL, "version": "1", "metric": "macro_auc"})
    assert auc is not None
    assert auc > 0.9
    gate = _sample("model_quality_gate", {"model": MODEL, "metric": "macro_auc"})
    assert gate == settings.gates.min_macro_auc


async def test_major_drift_in_auto_mode_enqueues_a_training_run_with_its_reason(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, trained: TrainedVersion
) -> None:
    database = TransactionalDatabase(db_connection)
    settings = _settings(test_database, retrain_trigger="auto")
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await add_predictions(session, trained, 1, 400, drift=1.0)
    before = _sample(
        "model_retrain_triggers_total", {"model": MODEL, "reason": "drift", "action": "auto"}
    )
    celery = FakeCelery()

    _, trigger = await run_checks(database, settings, celery)  # type: ignore[arg-type]

    assert trigger is not None
    assert (trigger.reason, trigger.action) == ("drift", "auto")
    assert [(s["name"], s["queue"]) for s in celery.sent] == [(TRAIN_TASK, TRAINING)]
    async with database.session() as session:
        run = await session.get_one(TrainingRun, trigger.training_run_id)
    assert run.trigger == "monitoring"
    assert run.reason is not None
    assert run.reason.startswith("major drift: ")
    assert "text_length" in run.reason
    assert celery.sent[0]["kwargs"] == {"run_id": str(run.id), "trigger": "monitoring"}
    after = _sample(
        "model_retrain_triggers_total", {"model": MODEL, "reason": "drift", "action": "auto"}
    )
    assert after == (before or 0) + 1

    _, again = await run_checks(database, settings, celery)  # type: ignore[arg-type]
    assert again is None  # cooling down
    assert len(celery.sent) == 1


async def test_quality_below_the_gates_for_k_windows_suggests_retraining(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, trained: TrainedVersion
) -> None:
    database = TransactionalDatabase(db_connection)
    settings = _settings(test_database, retrain_trigger="suggest", retrain_quality_windows=2)
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await add_predictions(session, trained, 1, 200, feedback="wrong")
    celery = FakeCelery()

    _, first = await run_checks(database, settings, celery)  # type: ignore[arg-type]
    _, second = await run_checks(database, settings, celery)  # type: ignore[arg-type]

    assert first is None  # one window below the gates is not yet a trend
    assert second is not None
    assert (second.reason, second.action, second.training_run_id) == ("quality", "suggest", None)
    assert "macro_auc" in second.detail
    assert celery.sent == []
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(RetrainTrigger)) == 1
        assert await session.scalar(select(func.count()).select_from(TrainingRun)) == 0


async def test_off_mode_never_triggers(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, trained: TrainedVersion
) -> None:
    database = TransactionalDatabase(db_connection)
    settings = _settings(test_database, retrain_trigger="off")
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await add_predictions(session, trained, 1, 400, drift=1.0)
    results, trigger = await run_checks(database, settings, FakeCelery())  # type: ignore[arg-type]
    assert results[0].drift[0].report.severity.value == "major"
    assert trigger is None


async def test_no_served_version_is_an_empty_pass(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, tmp_path: Path
) -> None:
    database = TransactionalDatabase(db_connection)
    assert await run_checks(database, _settings(test_database), FakeCelery()) == ([], None)  # type: ignore[arg-type]


async def test_quality_gauges_equal_scikit_learn_on_the_same_feedback(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, trained: TrainedVersion
) -> None:
    database = TransactionalDatabase(db_connection)
    settings = _settings(test_database, retrain_trigger="off")
    async with database.session() as session:
        await register(session, trained, 1, "champion")
        await add_predictions(session, trained, 1, 300, feedback="truth", seed=61)
        await add_predictions(session, trained, 1, 100, feedback="wrong", seed=62)
    await run_checks(database, settings, FakeCelery())  # type: ignore[arg-type]

    async with database.session() as session:
        rows = (
            await session.scalars(
                select(Prediction).where(Prediction.version == 1, Prediction.shadow.is_(False))
            )
        ).all()
    labels = sorted(rows[0].probabilities)
    truth = [row.feedback_label for row in rows]
    predicted = [row.label for row in rows]
    proba = np.array([[row.probabilities[label] for label in labels] for row in rows])
    expected = {
        "macro_auc": roc_auc_score(truth, proba, multi_class="ovr", average="macro", labels=labels),
        "precision": precision_score(
            truth, predicted, average="macro", labels=labels, zero_division=0
        ),
        "recall": recall_score(truth, predicted, average="macro", labels=labels, zero_division=0),
        "accuracy": accuracy_score(truth, predicted),
    }
    for metric, value in expected.items():
        gauge = _sample("model_quality_score", {"model": MODEL, "version": "1", "metric": metric})
        assert gauge == pytest.approx(value, abs=1e-6), metric
    assert _sample("model_quality_window_size", {"model": MODEL, "version": "1"}) == len(rows)
