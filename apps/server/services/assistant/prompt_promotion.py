"""Promoting a prompt version to champion: the evaluation gate on stored reports, then the
move.

Nothing is drafted here: the candidate's report and the champion's (the builtin prompt's
while no version is champion) come from evaluation runs (`prompt_eval_runs`), measured on
the current evaluation set. A report that is missing is a 409 naming the evaluation to
run; a candidate that trails the champion is a 409 naming each score that trails. The gate
it met is stored on the candidate's report either way.
"""

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.evaluation import EvalReport, GateVerdict, build_eval_set, prompt_gate
from server.config.evaluation import PromptEvalConfig
from server.core.errors import ConflictError
from server.database.prompt_models import PromptVersion
from server.database.registry_models import AliasAction
from server.services.assistant import prompts
from server.services.assistant.prompt_reports import (
    builtin_report,
    evaluate_path,
    report_document,
    stored_report,
)
from server.services.registry import CHAMPION

log = structlog.get_logger(__name__)


class PromotionRefusedError(ConflictError):
    slug = "prompt-gate-failed"


class EvaluationMissingError(ConflictError):
    slug = "prompt-evaluation-missing"


@dataclass(frozen=True)
class GateInputs:
    """What the gate compares: the candidate, the champion (None: the builtin prompt) and
    their reports on the current set (None where an evaluation is missing)."""

    target: PromptVersion
    champion: PromptVersion | None
    candidate_report: EvalReport | None
    champion_report: EvalReport | None

    @property
    def missing(self) -> list[int | None]:
        """The prompts to evaluate first: version numbers, None for the builtin prompt."""
        wanted: list[int | None] = []
        if self.champion is not None and self.champion.id == self.target.id:
            return wanted  # already champion: nothing to gate
        if self.candidate_report is None:
            wanted.append(self.target.version)
        if self.champion_report is None:
            wanted.append(None if self.champion is None else self.champion.version)
        return wanted


async def gate_inputs(session: AsyncSession, version: int, config: PromptEvalConfig) -> GateInputs:
    """The candidate `version`, the champion, and the reports the gate would use."""
    target = await prompts.require_version(session, version)
    champion = await prompts.champion_version(session)
    eval_set = build_eval_set(config)
    champion_report = (
        await builtin_report(session, eval_set)
        if champion is None
        else stored_report(champion, eval_set)
    )
    return GateInputs(target, champion, stored_report(target, eval_set), champion_report)


def _missing_problem(missing: list[int | None]) -> EvaluationMissingError:
    asks = [
        {"prompt": prompts.BUILTIN_LABEL if v is None else prompts.label_of(v), "version": v}
        | {"method": "POST", "path": evaluate_path(v)}
        for v in missing
    ]
    named = " and ".join(f"{ask['prompt']} (POST {ask['path']})" for ask in asks)
    return EvaluationMissingError(
        "The promotion gate compares stored evaluation reports on the current evaluation "
        f"set; evaluate {named} first, wait for the run to succeed, then promote again.",
        extra={"evaluations": asks},
    )


async def promote_champion(
    session: AsyncSession,
    version: int,
    *,
    config: PromptEvalConfig,
    actor: str,
    reason: str,
) -> tuple[int | None, GateVerdict | None]:
    """Gate `version` against the champion and make it champion: (previous, verdict).
    Already champion: nothing is gated or moved."""
    inputs = await gate_inputs(session, version, config)
    target, champion = inputs.target, inputs.champion
    if champion is not None and champion.id == target.id:
        return version, None
    if inputs.candidate_report is None or inputs.champion_report is None:
        raise _missing_problem(inputs.missing)
    candidate_label = prompts.label_of(target.version)
    against = prompts.BUILTIN_LABEL if champion is None else prompts.label_of(champion.version)
    verdict = prompt_gate(inputs.candidate_report, inputs.champion_report, config)
    target.eval_report = report_document(inputs.candidate_report, verdict, against)
    log.info(
        "prompts.gate_evaluated",
        prompt_version=candidate_label,
        against=against,
        passed=verdict.passed,
        scores=inputs.candidate_report.scores,
    )
    if not verdict.passed:
        await session.commit()  # the gate it met is kept on its report
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
    previous = await prompts.move_alias(
        session, CHAMPION, target, action=AliasAction.set, actor=actor, reason=reason
    )
    return previous, verdict
