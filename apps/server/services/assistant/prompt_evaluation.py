"""Evaluating one prompt (`make eval`): a registered version, the champion, or the builtin
prompt, drafted over the evaluation set by the configured provider.

The drafter comes from `eval_drafter`: the drafting service's own drafter (the agent loop
with the real classifier and article search), so an evaluation measures what users get.
A registered version keeps its report, which a later promotion may reuse as the champion's.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT, Drafter
from server.agents.llm.evaluation import EvalReport, build_eval_set, evaluate_prompt
from server.config import Settings
from server.database.session import Database
from server.services.assistant import prompts
from server.services.assistant.prompt_reports import report_document
from server.services.container import AppServices


@asynccontextmanager
async def eval_drafter(settings: Settings, database: Database) -> AsyncIterator[Drafter | None]:
    """The drafting service's drafter on the configured providers (None without one), with
    the services it drafts through (the classifier's queue, the article search), closed
    after. Its `classify_ticket` goes through the queue: a worker must be running."""
    if not settings.llm.providers:
        yield None
        return
    services = AppServices.build(settings, database)
    try:
        yield services.eval_drafter
    finally:
        await services.aclose()


async def evaluate_target(
    session: AsyncSession, version: int | None, drafter: Drafter, settings: Settings
) -> EvalReport:
    """Evaluate `version` (None: the champion, or the builtin prompt when none)."""
    row = (
        await prompts.require_version(session, version)
        if version is not None
        else await prompts.champion_version(session)
    )
    spec = prompts.spec_of(row) if row is not None else BUILTIN_PROMPT
    label = prompts.label_of(row.version) if row is not None else prompts.BUILTIN_LABEL
    await session.commit()  # no transaction waits on the model calls
    config = settings.prompt_eval
    report = await evaluate_prompt(
        drafter, spec, build_eval_set(config), label=label, concurrency=config.concurrency
    )
    if row is not None:
        row.eval_report = report_document(report)
        await session.commit()
    return report
