"""Hyperparameters of a training run and the gates a candidate must pass.

These are the agents' own configuration objects: `agents/` takes them as they are (no copy
in between), `Settings` nests them as `training` and `gates` (variables `APP_TRAINING__*`
and `APP_GATES__*`), and tests or notebooks build them directly.
"""

from pydantic import BaseModel, ConfigDict, Field


class TrainingConfig(BaseModel):
    """Data rules and hyperparameters of one training run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(42, description="Seed for data splits and generated data.")
    holdout_fraction: float = Field(
        0.2, gt=0, lt=0.5, description="Share of the data held out for evaluation and gates."
    )
    calibration_fraction: float = Field(
        0.1,
        gt=0,
        lt=0.5,
        description="Share of the non-holdout data used to fit the probability temperature.",
    )
    min_rows_per_class: int = Field(
        20, ge=2, description="Fewest training rows accepted for each label."
    )
    max_reported_issues: int = Field(
        100, ge=1, description="Row-level data problems listed in a validation report."
    )
    ngram_max: int = Field(
        2, ge=1, le=3, description="TF-IDF: longest word n-gram (1 = words only)."
    )
    min_df: int = Field(
        2, ge=1, description="TF-IDF: a term must occur in this many tickets to be kept."
    )
    max_df: float = Field(
        0.95, gt=0, le=1, description="TF-IDF: terms in more than this share of tickets dropped."
    )
    max_features: int = Field(
        50_000, ge=100, description="TF-IDF: vocabulary size cap (most frequent terms kept)."
    )
    c: float = Field(
        4.0, gt=0, description="Logistic regression inverse L2 regularization strength."
    )
    max_iter: int = Field(300, ge=10, description="Logistic regression L-BFGS iteration cap.")
    tol: float = Field(1e-4, gt=0, description="Logistic regression tolerance.")
    reference_sample_size: int = Field(
        500,
        ge=10,
        description="Raw values kept in the manifest's drift reference (text lengths, "
        "confidences).",
    )


class GateConfig(BaseModel):
    """Thresholds of the validation gates a candidate must pass; monitoring judges a served
    version's quality against the same numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_macro_f1: float = Field(0.80, ge=0, le=1, description="Minimum holdout macro-F1.")
    min_macro_auc: float = Field(
        0.93, ge=0, le=1, description="Minimum holdout macro one-vs-rest ROC AUC."
    )
    min_class_precision: float = Field(
        0.70, ge=0, le=1, description="Minimum holdout precision of every class."
    )
    min_class_recall: float = Field(
        0.70, ge=0, le=1, description="Minimum holdout recall of every class."
    )
    champion_margin: float = Field(
        0.01,
        ge=0,
        le=1,
        description="The candidate may trail the champion's macro-F1 and macro AUC on the "
        "same holdout by at most this much.",
    )
    max_segment_recall_gap: float = Field(
        0.10,
        ge=0,
        le=1,
        description="Largest allowed gap in macro recall between data segments.",
    )
    min_segment_size: int = Field(
        50,
        ge=1,
        description="Segments with fewer holdout rows are reported but not judged.",
    )
    parity_tolerance: float = Field(
        1e-5,
        gt=0,
        description="Largest probability difference between the packaged artifact and the "
        "trained pipeline.",
    )
