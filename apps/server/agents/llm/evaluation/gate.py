"""The prompt gate: a candidate's scores no worse than the champion's, within a tolerance.

Like the classifier's champion gate: each score is one `GateResult` with the measured
difference, the threshold and a message that says by how much it trails.
"""

from pydantic import BaseModel, ConfigDict

from server.agents.llm.evaluation.scoring import SCORE_NAMES, EvalReport
from server.agents.training.gates import GateResult
from server.config.evaluation import PromptEvalConfig


class GateVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    passed: bool
    results: list[GateResult]

    @property
    def failures(self) -> list[GateResult]:
        return [result for result in self.results if not result.passed]


# Scores are shares of a few dozen tickets: a trail of exactly the tolerance must not fail
# on the last bit of a float subtraction.
_ROUNDING = 1e-9


def _score_gate(name: str, mine: float, theirs: float, tolerance: float) -> GateResult:
    difference = mine - theirs
    passed = difference >= -tolerance - _ROUNDING
    message = (
        f"{name} {mine:.4f} against the champion's {theirs:.4f} ({difference:+.4f})"
        if passed
        else f"{name} {mine:.4f} is {-difference:.4f} below the champion's {theirs:.4f} "
        f"(allowed {tolerance:.4f})"
    )
    return GateResult(
        name=name, passed=passed, value=difference, threshold=-tolerance, message=message
    )


def prompt_gate(
    candidate: EvalReport, champion: EvalReport, config: PromptEvalConfig
) -> GateVerdict:
    """Every score of `candidate` at most `tolerance` below the champion's, on one set."""
    if candidate.eval_set_digest != champion.eval_set_digest:
        raise ValueError("the reports were measured on different evaluation sets")
    results = [
        _score_gate(name, candidate.scores[name], champion.scores[name], config.tolerance)
        for name in SCORE_NAMES
    ]
    return GateVerdict(passed=all(result.passed for result in results), results=results)
