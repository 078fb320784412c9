"""What `make eval` runs: a prompt evaluated over the set by a drafter running the real agent
loop against the fake provider, its report stored on the version and written to files."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT
from server.agents.llm.evaluation import EvalReport, build_eval_set
from server.cli.prompts import write_report
from server.config import PromptEvalConfig
from server.services.assistant import prompts
from server.services.assistant.prompt_evaluation import evaluate_target
from server.tests.support.agent_drafter import AgentDrafter, scripted_drafts
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.fake_llm import FakeOpenAI

EVAL = PromptEvalConfig(examples_per_category=1, concurrency=1)
MINE = BUILTIN_PROMPT.model_copy(update={"system_prompt": "Mine."})


@pytest.fixture
async def drafter(fake_openai: FakeOpenAI) -> AsyncIterator[AgentDrafter]:
    built = AgentDrafter(fake_openai, {BUILTIN_PROMPT.digest(): "builtin", MINE.digest(): "mine"})
    yield built
    await built.aclose()


async def test_a_version_s_report_is_stored_and_written_for_people_and_machines(
    db_session: AsyncSession,
    test_database: ProvisionedDatabase,
    fake_openai: FakeOpenAI,
    drafter: AgentDrafter,
    tmp_path: Path,
) -> None:
    settings = test_database.settings.model_copy(update={"prompt_eval": EVAL})
    examples = build_eval_set(EVAL).examples
    wrong = {examples[0].expected_article: "shipping-delivery"}
    fake_openai.script("builtin", *scripted_drafts(examples))
    builtin = await evaluate_target(db_session, None, drafter, settings)
    assert builtin.prompt_label == "builtin"
    assert builtin.scores["citation"] == 1.0

    row, _ = await prompts.register_version(
        db_session, MINE.model_dump(mode="json"), description="", actor="pytest"
    )
    fake_openai.script("mine", *scripted_drafts(examples, cite=wrong))
    report = await evaluate_target(db_session, row.version, drafter, settings)
    assert report.scores["citation"] == pytest.approx(1 - 1 / len(examples))
    stored = (await prompts.require_version(db_session, row.version)).eval_report
    assert stored is not None
    assert stored["scores"] == report.scores

    write_report(tmp_path / "reports", report)
    written = EvalReport.model_validate(json.loads((tmp_path / "reports/eval.json").read_text()))
    assert written == report
    markdown = (tmp_path / "reports/eval.md").read_text()
    assert markdown.startswith(f"# Evaluation of prompt v{row.version}")
    assert "shipping-delivery" in markdown  # the ticket that lost its citation point
