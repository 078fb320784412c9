"""Scoring drafts against the evaluation set.

Each draft is judged on four counts, each 0 or 1, and a report averages them:

- `tool_choice`: it called the classifier and the article search, and no tool that does not
  exist;
- `citation`: it cited the ticket's expected article;
- `category`: it named the ticket's category;
- `schema_validity`: the model's answer fitted the reply schema (a failed draft scores 0).
"""

from datetime import UTC, datetime
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from server.agents.llm.drafting import CLASSIFY_TOOL, SEARCH_TOOL, TOOL_NAMES, DraftOutcome
from server.agents.llm.evaluation.dataset import EvalExample, EvalSet

SCORE_NAMES: Final = ("tool_choice", "citation", "category", "schema_validity")
"""The scores a report averages and the gate compares, in report order."""

_REQUIRED_TOOLS: Final = frozenset({CLASSIFY_TOOL, SEARCH_TOOL})


class ExampleResult(BaseModel):
    """One evaluation ticket's draft, judged."""

    model_config = ConfigDict(frozen=True)

    expected_category: str
    expected_article: str
    category: str | None
    cited_articles: list[str]
    tools_called: list[str]
    error: str | None
    scores: dict[str, float]


class EvalReport(BaseModel):
    """A prompt version's scores on one evaluation set, with every example's result."""

    model_config = ConfigDict(frozen=True)

    prompt_label: str
    prompt_digest: str
    eval_set_digest: str
    examples: int
    scores: dict[str, float] = Field(description="Mean of each score over the examples.")
    results: list[ExampleResult]
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def score_outcome(example: EvalExample, outcome: DraftOutcome) -> ExampleResult:
    """Judge one draft against what its ticket expects."""
    called = set(outcome.tools_called)
    reply = outcome.reply
    scores = {
        "tool_choice": float(_REQUIRED_TOOLS <= called <= set(TOOL_NAMES)),
        "citation": float(reply is not None and example.expected_article in reply.cited_articles),
        "category": float(reply is not None and reply.category == example.expected_category),
        "schema_validity": float(reply is not None),
    }
    return ExampleResult(
        expected_category=example.expected_category,
        expected_article=example.expected_article,
        category=reply.category if reply else None,
        cited_articles=list(reply.cited_articles) if reply else [],
        tools_called=list(outcome.tools_called),
        error=outcome.error,
        scores=scores,
    )


def score_outcomes(
    eval_set: EvalSet,
    outcomes: list[DraftOutcome],
    *,
    prompt_label: str,
    prompt_digest: str,
) -> EvalReport:
    """The report of one run of the set: `outcomes[i]` is the draft of example `i`."""
    if len(outcomes) != len(eval_set.examples) or not outcomes:
        raise ValueError("one outcome per example of a non-empty evaluation set is needed")
    results = [
        score_outcome(example, outcome)
        for example, outcome in zip(eval_set.examples, outcomes, strict=True)
    ]
    means = {
        name: sum(result.scores[name] for result in results) / len(results) for name in SCORE_NAMES
    }
    return EvalReport(
        prompt_label=prompt_label,
        prompt_digest=prompt_digest,
        eval_set_digest=eval_set.digest(),
        examples=len(results),
        scores=means,
        results=results,
    )
