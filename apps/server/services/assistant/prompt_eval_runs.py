"""Prompt evaluation runs: recorded by the API, executed by a worker (or inline by the CLI).

A run drafts the evaluation set under one prompt (a registered version, or the builtin
prompt when its version is None) through the drafting service's drafter, then stores the
report on the run and on the version in one transaction, so the promotion gate reads it
later without drafting inside a request. A run that cannot finish (no provider, a provider
that stops answering, an evaluation set that changed since it was queued) is stored as
failed with the reason, and no report is written anywhere.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from celery import Celery

from server.agents.llm.drafting import BUILTIN_PROMPT, Drafter, PromptSpec
from server.agents.llm.errors import LLMError
from server.agents.llm.evaluation import EvalReport, EvalSet, build_eval_set, evaluate_prompt
from server.config import Settings
from server.core.errors import AppError, NotFoundError, ServiceUnavailableError
from server.database import prompt_eval_repository as repo
from server.database.base import utcnow
from server.database.prompt_eval_models import PromptEvalRun
from server.database.prompt_models import PromptVersion
from server.database.registry_models import RunStatus
from server.database.session import Database
from server.services.assistant import prompts
from server.services.assistant.prompt_reports import report_document
from server.taskqueue.payloads import PromptEvalPayload
from server.taskqueue.publisher import publish

log = structlog.get_logger(__name__)

NO_PROVIDER = (
    "Evaluating a prompt drafts the evaluation set with a model provider: set "
    "APP_LLM__PROVIDERS (see the README's 'Reply assistant' section)."
)


class EvaluationUnavailableError(ServiceUnavailableError):
    slug = "evaluation-unavailable"


def label_for(version: int | None) -> str:
    """The prompt's label in reports: `v3`, or `builtin`."""
    return prompts.BUILTIN_LABEL if version is None else prompts.label_of(version)


async def create_run(
    database: Database, settings: Settings, version: int | None, *, requested_by: str
) -> PromptEvalRun:
    """Record a queued run of `version` (None: the builtin prompt) on the current set; 503
    without a provider, 404 for an unknown version, before anything is stored."""
    if not settings.llm.providers:
        raise EvaluationUnavailableError(NO_PROVIDER, extra={"setting": "APP_LLM__PROVIDERS"})
    digest = build_eval_set(settings.prompt_eval).digest()
    async with database.session(writes=True) as session:
        if version is not None:
            await prompts.require_version(session, version)
        run = PromptEvalRun(
            prompt_version=version,
            status=RunStatus.queued,
            eval_set_digest=digest,
            requested_by=requested_by,
        )
        repo.add_run(session, run)
        await session.commit()
        return run


async def submit_run(
    database: Database,
    settings: Settings,
    celery: Celery,
    version: int | None,
    *,
    requested_by: str,
    request_id: str | None,
) -> PromptEvalRun:
    """Record the run, then enqueue it; if the queue is down the run is failed, not lost."""
    run = await create_run(database, settings, version, requested_by=requested_by)
    try:
        await publish(
            celery,
            PromptEvalPayload(run_id=run.id),
            headers={"request_id": request_id or "", "user_id": requested_by},
        )
    except ServiceUnavailableError:
        await fail_run(database, run.id, {"kind": "queue", "detail": "the queue was unreachable"})
        raise
    return await get_run(database, run.id)


async def get_run(database: Database, run_id: uuid.UUID) -> PromptEvalRun:
    async with database.session() as session:
        run = await repo.get_run(session, run_id)
        if run is None:
            raise NotFoundError(f"There is no prompt evaluation run {run_id}.")
        return run


async def list_runs(
    database: Database, *, version: int | None, builtin: bool, limit: int
) -> Sequence[PromptEvalRun]:
    """Newest first: every prompt's, one version's, or the builtin prompt's."""
    async with database.session() as session:
        return await repo.list_runs(session, prompt_version=version, builtin=builtin, limit=limit)


async def fail_run(database: Database, run_id: uuid.UUID, error: dict[str, Any]) -> None:
    async with database.session(writes=True) as session:
        run = await repo.load_run(session, run_id)
        run.status, run.error, run.finished_at = RunStatus.failed, error, utcnow()
        await session.commit()
    log.warning("prompts.evaluation_failed", run_id=str(run_id), kind=error.get("kind"))


def failure_reason(exc: BaseException) -> dict[str, Any]:
    """What the run stores about why it failed: a client-safe detail, never a traceback.
    The drafts run in a task group, so the first failure comes wrapped in a group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, AppError):
        return {"kind": "provider", "detail": exc.detail, "status": exc.status}
    if isinstance(exc, LLMError):
        return {"kind": "provider", "detail": str(exc)}
    return {"kind": "internal", "detail": type(exc).__name__}


async def _start(database: Database, run_id: uuid.UUID) -> tuple[PromptEvalRun, PromptSpec | None]:
    """Mark the run running: (the run, its prompt's spec); no spec when it already ended."""
    async with database.session(writes=True) as session:
        run = await repo.get_run(session, run_id)
        if run is None:
            raise NotFoundError(f"There is no prompt evaluation run {run_id}.")
        if run.status in (RunStatus.succeeded, RunStatus.failed):
            return run, None  # a redelivered task: the work is done
        spec = BUILTIN_PROMPT
        if run.prompt_version is not None:
            spec = prompts.spec_of(await prompts.require_version(session, run.prompt_version))
        run.status, run.started_at = RunStatus.running, utcnow()
        await session.commit()
        return run, spec


async def _record(database: Database, run_id: uuid.UUID, report: EvalReport) -> None:
    """The report on the run and on its version, in one transaction."""
    async with database.session(writes=True) as session:
        run = await repo.load_run(session, run_id)
        document = report_document(report)
        if run.prompt_version is not None:
            row: PromptVersion = await prompts.require_version(session, run.prompt_version)
            row.eval_report = document
        run.report, run.status, run.finished_at = document, RunStatus.succeeded, utcnow()
        await session.commit()


async def execute_run(
    database: Database, settings: Settings, run_id: uuid.UUID, drafter: Drafter | None
) -> PromptEvalRun:
    """Draft, score and store. Safe to call again for a run that already finished."""
    run, spec = await _start(database, run_id)
    if spec is None:
        return run
    eval_set: EvalSet = build_eval_set(settings.prompt_eval)
    label = label_for(run.prompt_version)
    if eval_set.digest() != run.eval_set_digest:
        # The worker's settings build another set than the API's: a report on it would
        # never match what the gate asks for.
        detail = "this worker's evaluation set differs from the one the run was queued for"
        await fail_run(database, run_id, {"kind": "eval_set", "detail": detail})
    elif drafter is None:
        await fail_run(database, run_id, {"kind": "provider", "detail": NO_PROVIDER})
    else:
        log.info("prompts.evaluation_started", run_id=str(run_id), prompt_version=label)
        try:
            report = await evaluate_prompt(
                drafter,
                spec,
                eval_set,
                label=label,
                concurrency=settings.prompt_eval.concurrency,
            )
        except Exception as exc:  # every failure is stored on the run, with its reason
            await fail_run(database, run_id, failure_reason(exc))
            return await get_run(database, run_id)
        await _record(database, run_id, report)
        log.info(
            "prompts.evaluation_finished",
            run_id=str(run_id),
            prompt_version=label,
            scores=report.scores,
        )
    return await get_run(database, run_id)
