"""Promoting a prompt version to champion: the evaluation gate first, then the move.

The candidate is drafted over the evaluation set through the injected `Drafter`; the
champion's scores come from its stored report when that was measured on the same set,
otherwise it is evaluated too (the builtin prompt stands in while no version is champion).
The candidate's report is stored on its version whether it passes or not. A refusal is a
409 naming each score that trails. No database transaction stays open while the drafts run.
"""

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT, Drafter, PromptSpec
from server.agents.llm.evaluation import (
    EvalReport,
    EvalSet,
    GateVerdict,
    build_eval_set,
    evaluate_prompt,
    prompt_gate,
)
from server.config.evaluation import PromptEvalConfig
from server.core.errors import ConflictError, ServiceUnavailableError
from server.database.prompt_models import PromptVersion
from server.database.registry_models import AliasAction
from server.services.assistant import prompts
from server.services.registry import CHAMPION

log = structlog.get_logger(__name__)


__all__ = ["Drafter", "EvaluationUnavailableError", "PromotionRefusedError", "promote_champion"]


class PromotionRefusedError(ConflictError):
    slug = "prompt-gate-failed"


class EvaluationUnavailableError(ServiceUnavailableError):
    slug = "evaluation-unavailable"


def stored_report(row: PromptVersion | None, eval_set: EvalSet) -> EvalReport | None:
    """The version's stored report if it was measured on this set (and this content)."""
    if row is None or not row.eval_report:
        return None
    report = EvalReport.model_validate(row.eval_report)
    if report.eval_set_digest != eval_set.digest() or report.prompt_digest != row.digest:
        return None
    return report


def report_document(
    report: EvalReport, verdict: GateVerdict | None = None, against: str = ""
) -> dict[str, Any]:
    """The report as stored on a version, with the gate it met (if it was gated)."""
    document = report.model_dump(mode="json")
    if verdict is not None:
        document["gate"] = {
            "against": against,
            "passed": verdict.passed,
            "results": [result.model_dump(mode="json") for result in verdict.results],
        }
    return document


async def _evaluate(
    drafter: Drafter, spec: PromptSpec, label: str, eval_set: EvalSet, config: PromptEvalConfig
) -> EvalReport:
    return await evaluate_prompt(
        drafter, spec, eval_set, label=label, concurrency=config.concurrency
    )


async def promote_champion(
    session: AsyncSession,
    version: int,
    *,
    drafter: Drafter | None,
    config: PromptEvalConfig,
    actor: str,
    reason: str,
) -> tuple[int | None, GateVerdict | None]:
    """Gate `version` against the champion and make it champion: (previous, verdict).
    Already champion: nothing is evaluated or moved."""
    target = await prompts.require_version(session, version)
    champion = await prompts.champion_version(session)
    if champion is not None and champion.id == target.id:
        return version, None
    if drafter is None:
        raise EvaluationUnavailableError(
            "Promoting a prompt version runs the evaluation gate, which needs a model "
            "provider: set APP_LLM__PROVIDERS (see the README's 'Reply assistant' section).",
            extra={"setting": "APP_LLM__PROVIDERS"},
        )
    eval_set = build_eval_set(config)
    champion_id = champion.id if champion is not None else None
    champion_report = stored_report(champion, eval_set)
    await session.commit()  # end the read: no transaction waits on the model calls

    candidate_label = prompts.label_of(target.version)
    candidate_report = await _evaluate(
        drafter, prompts.spec_of(target), candidate_label, eval_set, config
    )
    against = prompts.BUILTIN_LABEL if champion is None else prompts.label_of(champion.version)
    if champion_report is None:
        champion_spec = BUILTIN_PROMPT if champion is None else prompts.spec_of(champion)
        champion_report = await _evaluate(drafter, champion_spec, against, eval_set, config)
        if champion is not None:
            champion.eval_report = report_document(champion_report)
    verdict = prompt_gate(candidate_report, champion_report, config)
    target.eval_report = report_document(candidate_report, verdict, against)
    await session.commit()
    log.info(
        "prompts.gate_evaluated",
        prompt_version=candidate_label,
        against=against,
        passed=verdict.passed,
        scores=candidate_report.scores,
    )
    if not verdict.passed:
        failing = verdict.failures
        raise PromotionRefusedError(
            f"Prompt {candidate_label} trails the champion ({against}): "
            + "; ".join(result.message for result in failing)
            + ".",
            extra={
                "failed_scores": [result.name for result in failing],
                "gate": [result.model_dump(mode="json") for result in verdict.results],
            },
        )
    current = await prompts.champion_version(session)
    if (current.id if current is not None else None) != champion_id:
        raise ConflictError(
            "The champion prompt changed while the candidate was evaluated; promote again."
        )
    previous = await prompts.move_alias(
        session, CHAMPION, target, action=AliasAction.set, actor=actor, reason=reason
    )
    return previous, verdict
