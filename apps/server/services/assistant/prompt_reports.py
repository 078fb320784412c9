"""Stored evaluation reports: how a report is kept, and which one the promotion gate may use.

A report counts for the gate only when it was measured on the current evaluation set and
on the prompt's current content: a registered version's on the version itself, the builtin
prompt's on its newest succeeded evaluation run.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT
from server.agents.llm.evaluation import EvalReport, EvalSet, GateVerdict
from server.database import prompt_eval_repository
from server.database.prompt_models import PromptVersion

# Where a client asks for the evaluations a promotion misses (named in the 409 problem).
EVALUATE_VERSION_PATH = "/api/v1/prompts/versions/{version}/evaluations"
EVALUATE_BUILTIN_PATH = "/api/v1/prompts/builtin/evaluations"


def evaluate_path(version: int | None) -> str:
    """The POST path that evaluates `version` (None: the builtin prompt)."""
    if version is None:
        return EVALUATE_BUILTIN_PATH
    return EVALUATE_VERSION_PATH.format(version=version)


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


def _matching(
    document: dict[str, Any] | None, eval_set: EvalSet, prompt_digest: str
) -> EvalReport | None:
    if not document:
        return None
    report = EvalReport.model_validate(document)
    if report.eval_set_digest != eval_set.digest() or report.prompt_digest != prompt_digest:
        return None
    return report


def stored_report(row: PromptVersion, eval_set: EvalSet) -> EvalReport | None:
    """The version's stored report if it was measured on this set (and this content)."""
    return _matching(row.eval_report, eval_set, row.digest)


async def builtin_report(session: AsyncSession, eval_set: EvalSet) -> EvalReport | None:
    """The builtin prompt's newest report on this set (and on the builtin prompt of this
    release: a new release may change it)."""
    run = await prompt_eval_repository.latest_builtin_report(session, eval_set.digest())
    return None if run is None else _matching(run.report, eval_set, BUILTIN_PROMPT.digest())
