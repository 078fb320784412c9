"""With the broker down, starting work (a training run, a prompt evaluation) answers 503
quickly and leaves nothing pending."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.database.models import RunStatus, TrainingRun
from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.drafting import with_provider
from server.tests.support.fake_llm import FakeOpenAI


async def test_training_run_gets_503_and_is_recorded_failed(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection
) -> None:
    settings = test_database.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    app = build_app(settings, db_connection)
    async with client_for(app) as client:
        response = await client.post("/api/v1/training-runs", json={})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["detail"] == "The task queue is unreachable; try again shortly."
    async with app.state.services.database.session() as session:
        runs = (await session.scalars(select(TrainingRun))).all()
    assert [run.status for run in runs] == [RunStatus.failed]
    assert runs[0].error == {"kind": "queue", "detail": "the queue was unreachable"}


async def test_prompt_evaluation_gets_503_and_is_recorded_failed(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, fake_openai: FakeOpenAI
) -> None:
    settings = with_provider(test_database.settings, fake_openai).model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0"}
    )
    app = build_app(settings, db_connection)
    async with client_for(app) as client:
        response = await client.post("/api/v1/prompts/builtin/evaluations")
        assert response.status_code == 503
        assert response.json()["detail"] == "The task queue is unreachable; try again shortly."
        runs = (await client.get("/api/v1/prompts/evaluations")).json()
    assert [(run["status"], run["error"]["kind"]) for run in runs] == [("failed", "queue")]
