"""Offline evaluation of prompt versions: a deterministic set of generated tickets with the
category and article a good draft names, the scoring of drafts against it, a report, and
the gate a prompt version must pass to become champion. Plain Python: the drafts come from
any `Drafter`, so the same code runs under the API, the command line or a test."""

from server.agents.llm.evaluation.dataset import EvalExample, EvalSet, build_eval_set
from server.agents.llm.evaluation.gate import GateVerdict, prompt_gate
from server.agents.llm.evaluation.report import render_markdown
from server.agents.llm.evaluation.runner import evaluate_prompt
from server.agents.llm.evaluation.scoring import SCORE_NAMES, EvalReport, score_outcomes

__all__ = [
    "SCORE_NAMES",
    "EvalExample",
    "EvalReport",
    "EvalSet",
    "GateVerdict",
    "build_eval_set",
    "evaluate_prompt",
    "prompt_gate",
    "render_markdown",
    "score_outcomes",
]
