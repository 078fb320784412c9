"""An evaluation run that cannot finish is stored as failed with its reason, and writes no
report anywhere; a run that already ended is left as it is when its task comes again."""

from sqlalchemy.ext.asyncio import AsyncConnection

from server.agents.llm.drafting import BUILTIN_PROMPT
from server.config import PromptEvalConfig, Settings
from server.database.registry_models import RunStatus
from server.services.assistant import prompt_eval_runs, prompts
from server.tests.support.agent_drafter import AgentDrafter
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase
from server.tests.support.drafting import with_provider
from server.tests.support.fake_llm import FakeOpenAI

EVAL = PromptEvalConfig(examples_per_category=1, concurrency=1)


def configured(test_database: ProvisionedDatabase, fake: FakeOpenAI) -> Settings:
    return with_provider(test_database.settings, fake).model_copy(update={"prompt_eval": EVAL})


async def test_a_run_on_another_evaluation_set_or_without_a_drafter_fails_with_nothing_stored(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, fake_openai: FakeOpenAI
) -> None:
    database = TransactionalDatabase(db_connection)
    settings = configured(test_database, fake_openai)
    async with database.session() as session:
        row, _ = await prompts.register_version(
            session, BUILTIN_PROMPT.model_dump(mode="json"), description="", actor="pytest"
        )
    drafter = AgentDrafter(fake_openai, {BUILTIN_PROMPT.digest(): "unscripted"})
    try:
        queued = await prompt_eval_runs.create_run(
            database, settings, row.version, requested_by="pytest"
        )
        # This worker's settings build a larger set than the API's did.
        other = settings.model_copy(
            update={"prompt_eval": EVAL.model_copy(update={"examples_per_category": 2})}
        )
        run = await prompt_eval_runs.execute_run(database, other, queued.id, drafter)
        assert (run.status, run.error["kind"] if run.error else None) == (
            RunStatus.failed,
            "eval_set",
        )
        assert fake_openai.received("unscripted") == []
        ended = run.finished_at

        no_provider = await prompt_eval_runs.create_run(
            database, settings, None, requested_by="pytest"
        )
        run = await prompt_eval_runs.execute_run(database, settings, no_provider.id, None)
        assert run.status == RunStatus.failed
        assert "APP_LLM__PROVIDERS" in (run.error or {})["detail"]
        assert run.report is None

        # Its task delivered again: the run keeps its end, nothing is drafted.
        again = await prompt_eval_runs.execute_run(database, settings, queued.id, drafter)
        assert (again.status, again.finished_at) == (RunStatus.failed, ended)
        assert fake_openai.received("unscripted") == []
    finally:
        await drafter.aclose()
    async with database.session() as session:
        assert (await prompts.require_version(session, row.version)).eval_report is None
