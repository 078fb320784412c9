"""Frozen configuration objects of training and gating, built from `Settings` or by hand.

The agents take these instead of `Settings`, so tests and notebooks build them directly and
nothing below reads the environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from server.config import Settings

WORD_PATTERN = r"(?u)\b\w\w+\b"
"""Words of two or more word characters. Written out (not left to a library default) because
the inference runtime reimplements the tokenizer and must split text exactly the same way."""


class TrainingConfig(BaseModel):
    """Hyperparameters and data rules of one training run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    labels: tuple[str, ...] = Field(min_length=2)
    seed: int = 42
    holdout_fraction: float = Field(0.2, gt=0, lt=0.5)
    calibration_fraction: float = Field(0.1, gt=0, lt=0.5)
    min_rows_per_class: int = Field(20, ge=2)
    max_reported_issues: int = Field(100, ge=1)
    max_text_chars: int = Field(2000, ge=16)
    token_pattern: str = WORD_PATTERN
    ngram_max: int = Field(2, ge=1, le=3)
    min_df: int = Field(2, ge=1)
    max_df: float = Field(0.95, gt=0, le=1)
    max_features: int = Field(50_000, ge=100)
    c: float = Field(4.0, gt=0)
    max_iter: int = Field(300, ge=10)
    tol: float = Field(1e-4, gt=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The training configuration that `settings` describes."""
        return cls(
            labels=tuple(sorted(settings.model_labels)),
            seed=settings.train_seed,
            holdout_fraction=settings.train_holdout_fraction,
            calibration_fraction=settings.train_calibration_fraction,
            min_rows_per_class=settings.data_min_rows_per_class,
            max_reported_issues=settings.data_max_reported_issues,
            max_text_chars=settings.max_text_chars,
            ngram_max=settings.tfidf_ngram_max,
            min_df=settings.tfidf_min_df,
            max_df=settings.tfidf_max_df,
            max_features=settings.tfidf_max_features,
            c=settings.classifier_c,
            max_iter=settings.classifier_max_iter,
            tol=settings.classifier_tol,
        )

    def hyperparameters(self) -> dict[str, Any]:
        """The values that shape the model, as recorded in the artifact's manifest."""
        return self.model_dump(exclude={"labels", "max_reported_issues", "min_rows_per_class"})


class GateConfig(BaseModel):
    """Thresholds of the validation gates a candidate must pass."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_macro_f1: float = Field(0.80, ge=0, le=1)
    min_macro_auc: float = Field(0.93, ge=0, le=1)
    min_class_precision: float = Field(0.70, ge=0, le=1)
    min_class_recall: float = Field(0.70, ge=0, le=1)
    champion_margin: float = Field(0.01, ge=0, le=1)
    max_segment_recall_gap: float = Field(0.10, ge=0, le=1)
    min_segment_size: int = Field(50, ge=1)
    parity_tolerance: float = Field(1e-5, gt=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The gate thresholds that `settings` describes."""
        return cls(
            min_macro_f1=settings.gate_min_macro_f1,
            min_macro_auc=settings.gate_min_macro_auc,
            min_class_precision=settings.gate_min_class_precision,
            min_class_recall=settings.gate_min_class_recall,
            champion_margin=settings.gate_champion_margin,
            max_segment_recall_gap=settings.gate_max_segment_recall_gap,
            min_segment_size=settings.gate_min_segment_size,
            parity_tolerance=settings.gate_parity_tolerance,
        )
