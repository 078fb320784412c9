"""Settings of the AI core: data, training, gates, artifacts (used by `agents/`)."""

from pathlib import Path

from pydantic import BaseModel, Field

from server.config.base import SERVER_DIR


class ModelSettings(BaseModel):
    """Model: data, training, gates, artifacts."""

    model_name: str = Field(
        "ticket-triage",
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="Name of the served model; its artifacts live in "
        "`<artifact_root>/<model_name>/<version>/`.",
    )
    model_labels: list[str] = Field(
        ["account", "billing", "other", "refund", "shipping", "technical"],
        min_length=2,
        description="Categories the model predicts; training data must cover each of them "
        "(a JSON list in the environment).",
    )
    artifact_root: Path = Field(
        SERVER_DIR / "var" / "artifacts",
        description="Root of the local artifact store (a Docker volume or a PVC when deployed).",
    )
    max_text_chars: int = Field(
        2000,
        ge=16,
        description="Texts are cut to this many characters after normalization; recorded in "
        "the artifact so that serving cuts exactly like training.",
    )
    use_gpu: bool = Field(
        False,
        description="Run the classifier's linear scoring on a GPU through CuPy when one is "
        "present; falls back to CPU with a warning otherwise.",
    )
    data_min_rows_per_class: int = Field(
        20, ge=2, description="Fewest training rows accepted for each label."
    )
    data_max_reported_issues: int = Field(
        100, ge=1, description="Row-level data problems listed in a validation report."
    )
    tfidf_min_df: int = Field(
        2, ge=1, description="TF-IDF: a term must occur in this many tickets to be kept."
    )
    tfidf_max_df: float = Field(
        0.95, gt=0, le=1, description="TF-IDF: terms in more than this share of tickets dropped."
    )
    tfidf_max_features: int = Field(
        50_000, ge=100, description="TF-IDF: vocabulary size cap (most frequent terms kept)."
    )
    tfidf_ngram_max: int = Field(
        2, ge=1, le=3, description="TF-IDF: longest word n-gram (1 = words only)."
    )
    classifier_c: float = Field(
        4.0, gt=0, description="Logistic regression inverse L2 regularization strength."
    )
    classifier_max_iter: int = Field(
        300, ge=10, description="Logistic regression L-BFGS iteration cap."
    )
    classifier_tol: float = Field(1e-4, gt=0, description="Logistic regression tolerance.")
    train_seed: int = Field(42, description="Seed for data splits and generated data.")
    train_holdout_fraction: float = Field(
        0.2, gt=0, lt=0.5, description="Share of the data held out for evaluation and gates."
    )
    train_calibration_fraction: float = Field(
        0.1,
        gt=0,
        lt=0.5,
        description="Share of the non-holdout data used to fit the probability temperature.",
    )
    reference_sample_size: int = Field(
        500,
        ge=10,
        description="Raw values kept in the manifest's drift reference (text lengths, "
        "confidences).",
    )
    gate_min_macro_f1: float = Field(
        0.80, ge=0, le=1, description="Gate: minimum holdout macro-F1."
    )
    gate_min_macro_auc: float = Field(
        0.93, ge=0, le=1, description="Gate: minimum holdout macro one-vs-rest ROC AUC."
    )
    gate_min_class_precision: float = Field(
        0.70, ge=0, le=1, description="Gate: minimum holdout precision of every class."
    )
    gate_min_class_recall: float = Field(
        0.70, ge=0, le=1, description="Gate: minimum holdout recall of every class."
    )
    gate_champion_margin: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Gate: the candidate may trail the champion's macro-F1 and macro AUC on "
        "the same holdout by at most this much.",
    )
    gate_max_segment_recall_gap: float = Field(
        0.10,
        ge=0,
        le=1,
        description="Gate: largest allowed gap in macro recall between data segments.",
    )
    gate_min_segment_size: int = Field(
        50,
        ge=1,
        description="Gate: segments with fewer holdout rows are reported but not judged.",
    )
    gate_parity_tolerance: float = Field(
        1e-5,
        gt=0,
        description="Gate: largest probability difference between the packaged artifact and "
        "the trained pipeline.",
    )
