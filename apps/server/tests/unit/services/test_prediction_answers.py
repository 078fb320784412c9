"""The API holds the worker's answer to the task contract: one outside it is a 502."""

from pathlib import Path
from typing import Any

import pytest

from server.core.broadcast import MemoryBroadcast
from server.database.session import Database
from server.services.predictions.service import PredictionService, Ticket
from server.services.traffic import ServedVersion
from server.taskqueue.results import TaskFailedError, create_result_waiter
from server.tests.support.answering_worker import AnsweringWorker
from server.tests.support.settings import SettingsFactory

VERSION = ServedVersion(version=1, sha256="0" * 64)


async def _score(make_settings: SettingsFactory, tmp_path: Path, answer: dict[str, Any]) -> Any:
    settings = make_settings(embedded_broker_dir=tmp_path / "broker")
    results = tmp_path / "broker" / "results"
    results.mkdir(parents=True)
    service = PredictionService(
        settings,
        Database.from_settings(settings),
        AnsweringWorker(results, answer),  # type: ignore[arg-type]
        create_result_waiter(settings, poll_s=0.01),
        MemoryBroadcast(),
    )
    try:
        return await service._score(VERSION, [Ticket("my invoice is wrong", None, "u")])
    finally:
        await service.aclose()


async def test_an_answer_in_the_contract_becomes_scored_texts(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    item = {"label": "billing", "confidence": 0.9, "probabilities": {"billing": 0.9}}
    (scored,) = await _score(make_settings, tmp_path, {"version": 3, "items": [item]})
    assert (scored.label, scored.confidence, scored.version) == ("billing", 0.9, 3)


@pytest.mark.parametrize(
    "answer",
    [
        {"labels": ["billing"], "probabilities": [[1.0]], "version": 1},  # the old raw rows
        {"version": 1, "items": [{"label": "billing"}]},  # fields missing
        {"version": 0, "items": []},  # no such version
    ],
)
async def test_an_answer_outside_the_contract_is_a_bad_gateway(
    make_settings: SettingsFactory, tmp_path: Path, answer: dict[str, Any]
) -> None:
    with pytest.raises(TaskFailedError) as failed:
        await _score(make_settings, tmp_path, answer)
    assert failed.value.status == 502
    assert failed.value.exc_type == "ValidationError"
