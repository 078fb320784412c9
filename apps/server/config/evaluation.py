"""The offline evaluation of prompt versions and the gate a promotion must pass.

`PromptEvalConfig` is the agents' own configuration object, like the classifier's
`GateConfig`: `agents/llm/evaluation/` takes it as it is, `Settings` nests it as
`prompt_eval` (variables `APP_PROMPT_EVAL__*`), and tests build it directly.
"""

from pydantic import BaseModel, ConfigDict, Field


class PromptEvalConfig(BaseModel):
    """The evaluation set drawn from the data generator, how it is run, and how far a
    candidate prompt may trail the champion's scores."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(20_261_202, description="Seed of the generated evaluation tickets.")
    examples_per_category: int = Field(
        4,
        ge=1,
        le=100,
        description="Evaluation tickets per category (each with its expected category and "
        "article).",
    )
    concurrency: int = Field(
        4, ge=1, le=64, description="Evaluation tickets drafted at the same time."
    )
    tolerance: float = Field(
        0.0,
        ge=0,
        le=1,
        description="A candidate prompt's score (tool choice, citation, category, schema "
        "validity) may trail the champion's by at most this much.",
    )
