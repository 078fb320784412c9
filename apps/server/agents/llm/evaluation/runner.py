"""Running the evaluation set through a drafter, a bounded number of drafts at a time."""

import asyncio

from server.agents.llm.drafting import Drafter, DraftOutcome, PromptSpec
from server.agents.llm.evaluation.dataset import EvalSet
from server.agents.llm.evaluation.scoring import EvalReport, score_outcomes


async def evaluate_prompt(
    drafter: Drafter,
    prompt: PromptSpec,
    eval_set: EvalSet,
    *,
    label: str,
    concurrency: int,
) -> EvalReport:
    """Draft every example under `prompt` (at most `concurrency` at once) and score them.

    A drafter that raises for one example fails the whole run: a broken provider must not
    read as a prompt that answers badly (and let a worse prompt through, or refuse a good
    one). Drafts that fail on the model's side come back as outcomes with an error.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots = asyncio.Semaphore(concurrency)

    async def draft(ticket: str) -> DraftOutcome:
        async with slots:
            return await drafter(ticket, prompt)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(draft(example.ticket)) for example in eval_set.examples]
    return score_outcomes(
        eval_set,
        [task.result() for task in tasks],
        prompt_label=label,
        prompt_digest=prompt.digest(),
    )
