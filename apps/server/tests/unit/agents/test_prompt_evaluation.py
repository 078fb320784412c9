"""The offline evaluation of prompt versions: the set, the scoring, the report, the gate and
the runner, without a database or a provider."""

import asyncio
import re

import pytest

from server.agents.data.articles import generate_articles
from server.agents.data.generator import GENERATED_LABELS
from server.agents.llm.drafting import (
    BUILTIN_PROMPT,
    CLASSIFY_TOOL,
    HISTORY_TOOL,
    SEARCH_TOOL,
    DraftOutcome,
    DraftReply,
    PromptSpec,
)
from server.agents.llm.evaluation import (
    EvalExample,
    EvalReport,
    EvalSet,
    build_eval_set,
    evaluate_prompt,
    prompt_gate,
    render_markdown,
    score_outcomes,
)
from server.config import PromptEvalConfig

CONFIG = PromptEvalConfig(examples_per_category=3)
ARTICLES = {article.slug: article for article in generate_articles()}


def answer(
    example: EvalExample, *, cite: str | None = None, category: str | None = None
) -> DraftOutcome:
    return DraftOutcome(
        reply=DraftReply(
            reply="Here is what to do.",
            category=category or example.expected_category,
            cited_articles=[cite or example.expected_article],
            confidence_note="sure",
        ),
        tools_called=[CLASSIFY_TOOL, SEARCH_TOOL],
    )


def report_of(eval_set: EvalSet, outcomes: list[DraftOutcome], label: str = "v1") -> EvalReport:
    return score_outcomes(eval_set, outcomes, prompt_label=label, prompt_digest="d" * 64)


@pytest.fixture(scope="module")
def eval_set() -> EvalSet:
    return build_eval_set(CONFIG)


def test_the_set_is_the_same_every_time_and_its_digest_says_so(eval_set: EvalSet) -> None:
    again = build_eval_set(CONFIG)
    assert again == eval_set
    assert again.digest() == eval_set.digest()
    other = build_eval_set(CONFIG.model_copy(update={"seed": CONFIG.seed + 1}))
    assert other.digest() != eval_set.digest()


def test_every_category_has_its_tickets_each_about_its_one_article(eval_set: EvalSet) -> None:
    categories = [example.expected_category for example in eval_set.examples]
    assert categories == [label for label in GENERATED_LABELS for _ in range(3)]
    assert len({example.ticket for example in eval_set.examples}) == len(eval_set.examples)
    for example in eval_set.examples:
        article = ARTICLES[example.expected_article]
        assert article.category == example.expected_category
        assert any(
            re.search(rf"\b{re.escape(keyword)}\b", example.ticket, re.IGNORECASE)
            for keyword in article.keywords
        )


def test_a_perfect_draft_scores_one_on_every_count(eval_set: EvalSet) -> None:
    report = report_of(eval_set, [answer(example) for example in eval_set.examples])
    assert report.scores == {
        "tool_choice": 1.0,
        "citation": 1.0,
        "category": 1.0,
        "schema_validity": 1.0,
    }
    assert report.examples == len(eval_set.examples)
    assert report.eval_set_digest == eval_set.digest()


def test_each_count_loses_its_point_for_its_own_mistake(eval_set: EvalSet) -> None:
    first, second, _third, fourth, fifth, *rest = eval_set.examples
    wrong_article = next(slug for slug in ARTICLES if slug != first.expected_article)
    outcomes = [
        answer(first, cite=wrong_article),
        answer(second, category="not-a-category"),
        DraftOutcome(reply=None, tools_called=[CLASSIFY_TOOL, SEARCH_TOOL], error="no JSON"),
        answer(fourth).model_copy(update={"tools_called": [CLASSIFY_TOOL]}),
        answer(fifth).model_copy(
            update={"tools_called": [CLASSIFY_TOOL, SEARCH_TOOL, HISTORY_TOOL, "delete_all"]}
        ),
        *(answer(example) for example in rest),
    ]
    report = report_of(eval_set, outcomes)
    scores = [result.scores for result in report.results]
    assert scores[0] == {"tool_choice": 1, "citation": 0, "category": 1, "schema_validity": 1}
    assert scores[1] == {"tool_choice": 1, "citation": 1, "category": 0, "schema_validity": 1}
    assert scores[2] == {"tool_choice": 1, "citation": 0, "category": 0, "schema_validity": 0}
    assert scores[3]["tool_choice"] == 0  # no search
    assert scores[4]["tool_choice"] == 0  # a tool that does not exist
    count = len(eval_set.examples)
    assert report.scores["tool_choice"] == pytest.approx((count - 2) / count)
    assert report.scores["citation"] == pytest.approx((count - 2) / count)


def test_scoring_needs_one_outcome_per_example(eval_set: EvalSet) -> None:
    with pytest.raises(ValueError, match="one outcome per example"):
        report_of(eval_set, [answer(eval_set.examples[0])])


def test_the_markdown_report_lists_what_each_ticket_lost(eval_set: EvalSet) -> None:
    outcomes = [answer(example) for example in eval_set.examples]
    outcomes[1] = answer(eval_set.examples[1], cite="made-up | slug\nwith a break")
    text = render_markdown(report_of(eval_set, outcomes, label="v7"))
    assert text.startswith("# Evaluation of prompt v7")
    assert "| citation | " in text
    rows = [line for line in text.splitlines() if line.startswith("| 2 |")]
    assert rows == [rows[0]]
    assert "made-up / slug with a break" in rows[0]
    assert rows[0].count("|") == 8  # the model's pipe did not add a column
    perfect = render_markdown(report_of(eval_set, [answer(e) for e in eval_set.examples]))
    assert "Every ticket scored on every count." in perfect


def test_the_gate_refuses_a_worse_candidate_naming_the_score(eval_set: EvalSet) -> None:
    champion = report_of(eval_set, [answer(example) for example in eval_set.examples])
    wrong = [
        answer(e, cite="billing-invoice" if e.expected_article != "billing-invoice" else "x")
        for e in eval_set.examples
    ]
    worse = report_of(eval_set, wrong, label="v2")
    verdict = prompt_gate(worse, champion, CONFIG)
    assert not verdict.passed
    assert [result.name for result in verdict.failures] == ["citation"]
    assert "below the champion's 1.0000" in verdict.failures[0].message


def test_the_gate_passes_an_equal_or_better_candidate(eval_set: EvalSet) -> None:
    perfect = report_of(eval_set, [answer(example) for example in eval_set.examples])
    weaker = [answer(example) for example in eval_set.examples]
    weaker[0] = answer(eval_set.examples[0], category="other-thing")
    champion = report_of(eval_set, weaker)
    assert prompt_gate(perfect, perfect, CONFIG).passed
    assert prompt_gate(perfect, champion, CONFIG).passed
    assert not prompt_gate(champion, perfect, CONFIG).passed


def test_the_tolerance_lets_a_candidate_trail_by_that_much(eval_set: EvalSet) -> None:
    perfect = report_of(eval_set, [answer(example) for example in eval_set.examples])
    outcomes = [answer(example) for example in eval_set.examples]
    outcomes[0] = answer(eval_set.examples[0], category="other-thing")
    one_miss = report_of(eval_set, outcomes)
    trail = 1 / len(eval_set.examples)
    assert prompt_gate(one_miss, perfect, CONFIG.model_copy(update={"tolerance": trail})).passed
    assert not prompt_gate(
        one_miss, perfect, CONFIG.model_copy(update={"tolerance": trail / 2})
    ).passed


def test_reports_of_different_sets_are_not_compared(eval_set: EvalSet) -> None:
    mine = report_of(eval_set, [answer(example) for example in eval_set.examples])
    other_set = EvalSet(examples=eval_set.examples[:2])
    theirs = report_of(other_set, [answer(example) for example in other_set.examples])
    with pytest.raises(ValueError, match="different evaluation sets"):
        prompt_gate(mine, theirs, CONFIG)


class CountingDrafter:
    """Answers each ticket correctly; records how many drafts ran at once."""

    def __init__(self, eval_set: EvalSet) -> None:
        self.by_ticket = {example.ticket: example for example in eval_set.examples}
        self.running = self.most = 0
        self.prompts: set[str] = set()

    async def __call__(self, ticket: str, prompt: PromptSpec) -> DraftOutcome:
        self.prompts.add(prompt.digest())
        self.running += 1
        self.most = max(self.most, self.running)
        for _ in range(3):  # let the other drafts start, if they may
            await asyncio.sleep(0)
        self.running -= 1
        return answer(self.by_ticket[ticket])


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_the_runner_drafts_at_most_concurrency_tickets_at_once(
    eval_set: EvalSet, concurrency: int
) -> None:
    drafter = CountingDrafter(eval_set)
    report = await evaluate_prompt(
        drafter, BUILTIN_PROMPT, eval_set, label="builtin", concurrency=concurrency
    )
    assert drafter.most == concurrency
    assert drafter.prompts == {BUILTIN_PROMPT.digest()}
    assert report.scores["citation"] == 1.0  # each outcome scored against its own ticket
    assert report.prompt_digest == BUILTIN_PROMPT.digest()


async def test_a_drafter_that_fails_fails_the_run(eval_set: EvalSet) -> None:
    async def broken(ticket: str, prompt: PromptSpec) -> DraftOutcome:
        raise ConnectionError("provider down")

    with pytest.raises(ExceptionGroup) as raised:
        await evaluate_prompt(broken, BUILTIN_PROMPT, eval_set, label="builtin", concurrency=2)
    assert raised.group_contains(ConnectionError)
