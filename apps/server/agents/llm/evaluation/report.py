"""An evaluation report as Markdown, for people (`make eval` writes it beside the JSON)."""

from server.agents.llm.evaluation.scoring import SCORE_NAMES, EvalReport


def render_markdown(report: EvalReport) -> str:
    """The scores, then each example that lost a point and why."""
    lines = [
        f"# Evaluation of prompt {report.prompt_label}",
        "",
        f"- prompt digest: `{report.prompt_digest}`",
        f"- evaluation set digest: `{report.eval_set_digest}` ({report.examples} tickets)",
        f"- measured: {report.created_at.isoformat(timespec='seconds')}",
        "",
        "| score | mean |",
        "|---|---|",
        *(f"| {name} | {report.scores[name]:.4f} |" for name in SCORE_NAMES),
        "",
    ]
    missed = [
        (number, result)
        for number, result in enumerate(report.results, start=1)
        if any(value < 1 for value in result.scores.values())
    ]
    if not missed:
        return "\n".join([*lines, "Every ticket scored on every count.", ""])
    lines += [
        "| ticket | expected | answered | cited | tools | lost | error |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, result in missed:
        cells = [
            f"{result.expected_category} / {result.expected_article}",
            result.category or "-",
            ", ".join(result.cited_articles) or "-",
            ", ".join(result.tools_called) or "-",
            ", ".join(name for name in SCORE_NAMES if result.scores[name] < 1),
            result.error or "-",
        ]
        # Model output lands in these cells: a pipe or a line break would split the table.
        safe = [" ".join(cell.replace("|", "/").split()) for cell in cells]
        lines.append(f"| {number} | " + " | ".join(safe) + " |")
    return "\n".join([*lines, ""])
