"""`model_card.md`: the manifest told for a human reviewer before promotion."""

from __future__ import annotations

from server.agents.artifacts.manifest import ArtifactManifest


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _commit(manifest: ArtifactManifest) -> str:
    lineage = manifest.lineage
    if lineage is None:
        return manifest.git_commit or "unknown"
    code = lineage.code
    if code.commit is None:
        return f"unknown ({code.missing_reason})"
    dirty = " with uncommitted changes" if code.dirty else ""
    return f"`{code.commit}` (from the {code.source}{dirty})"


def _lineage_lines(manifest: ArtifactManifest) -> list[str]:
    lineage = manifest.lineage
    if lineage is None:
        return []
    lock = lineage.dependency_lock_sha256
    return [
        f"- Seed: {lineage.seed}",
        f"- Dependency lock sha256: {f'`{lock}`' if lock else 'unknown (no lock file shipped)'}",
    ]


def render_model_card(manifest: ArtifactManifest) -> str:
    """A Markdown model card built only from the manifest's fields."""
    m, data, ref = manifest.metrics, manifest.training_data, manifest.reference
    lines = [
        f"# Model card: {manifest.name} v{manifest.version}",
        "",
        f"- Created: {manifest.created_at.isoformat()}",
        f"- Git commit: {_commit(manifest)}",
        *_lineage_lines(manifest),
        f"- Format: `{manifest.model_format}` (plain arrays and JSON; loading executes nothing)",
        f"- Labels: {', '.join(manifest.labels)}",
        "",
        "## Intended use",
        "",
        "Routes customer support tickets to a queue by category. A person should review",
        "low-confidence predictions; the model does not read attachments or conversation",
        "history and is not meant for decisions about individual customers.",
        "",
        "## Training data",
        "",
        f"- Source: {data.source}, {data.rows} rows, sha256 `{data.sha256}`",
        f"- Split: {data.train_rows} train, {data.calibration_rows} calibration, "
        f"{data.holdout_rows} holdout (stratified by label)",
        "- Rows per label: " + ", ".join(f"{k} {v}" for k, v in data.class_counts.items()),
        "",
        "## Holdout quality",
        "",
        f"Macro-F1 {m.macro_f1:.3f}, macro one-vs-rest ROC AUC {m.macro_auc:.3f}, accuracy "
        f"{m.accuracy:.3f}, log loss {m.log_loss:.3f}, expected calibration error "
        f"{m.expected_calibration_error:.3f} on {m.rows} rows.",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | {c.support} |"
        for label, c in m.per_class.items()
    ]
    bias = manifest.bias_report
    gap = "n/a" if bias.max_recall_gap is None else f"{bias.max_recall_gap:.3f}"
    lines += [
        "",
        "## Segments (bias report)",
        "",
        f"Largest macro-recall gap between judged segments: {gap}. Segments with fewer than "
        f"{bias.min_segment_size} holdout rows are listed but not judged.",
        "",
        "| segment | rows | macro recall | judged |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {s.segment} | {s.rows} | {s.macro_recall:.3f} | {'yes' if s.judged else 'no'} |"
        for s in bias.segments
    ]
    lines += [
        "",
        "## Reference for drift monitoring",
        "",
        f"- Text length (characters): median {ref.text_length.quantiles['p50']:.0f}, "
        f"95th percentile {ref.text_length.quantiles['p95']:.0f}",
        f"- Out-of-vocabulary rate on the holdout: {_pct(ref.oov_rate)}",
        f"- Median confidence on the holdout: {ref.confidence.quantiles['p50']:.3f}",
        "- Predicted label mix: "
        + ", ".join(f"{k} {_pct(v)}" for k, v in ref.predicted_prior.items()),
        "",
        "## Hyperparameters",
        "",
    ]
    lines += [f"- `{key}`: `{value}`" for key, value in manifest.hyperparameters.items()]
    lines += [
        "",
        "## Limitations",
        "",
        "A bag-of-words model: it ignores word order beyond word pairs, misreads negation and",
        "sarcasm, and degrades on vocabulary it never saw (watch the out-of-vocabulary rate).",
        "Validation gates and their verdicts are recorded with the training run.",
        "",
    ]
    return "\n".join(lines)
