"""A linear text model as data: the spec (JSON) and the arrays (vocabulary, idf, weights)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from server.agents.numeric import FloatArray

MODEL_FORMAT: Final = "tfidf-linear/1"


class ModelSpec(BaseModel):
    """Everything needed to rebuild the transform and the scores, besides the arrays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["tfidf-linear/1"] = MODEL_FORMAT
    labels: tuple[str, ...] = Field(min_length=2)
    token_pattern: str
    lowercase: bool = True
    ngram_range: tuple[int, int]
    norm: Literal["l2"] = "l2"
    temperature: float = Field(gt=0)
    max_text_chars: int = Field(ge=1)


@dataclass(frozen=True, slots=True, eq=False)
class LinearTextModel:
    """The arrays of a model: `vocabulary[j]` is the term of feature column j.

    `weights` has one row per feature and one column per label, so a batch's scores are
    `features @ weights + intercept`.
    """

    spec: ModelSpec
    vocabulary: tuple[str, ...]
    idf: FloatArray
    weights: FloatArray
    intercept: FloatArray

    def __post_init__(self) -> None:
        features, classes = len(self.vocabulary), len(self.spec.labels)
        if self.idf.shape != (features,):
            raise ValueError(f"idf has shape {self.idf.shape}, expected ({features},)")
        if self.weights.shape != (features, classes):
            raise ValueError(
                f"weights have shape {self.weights.shape}, expected ({features}, {classes})"
            )
        if self.intercept.shape != (classes,):
            raise ValueError(f"intercept has shape {self.intercept.shape}, expected ({classes},)")
        for name in ("idf", "weights", "intercept"):
            array = getattr(self, name)
            if array.dtype != np.float64 or not np.all(np.isfinite(array)):
                raise ValueError(f"{name} must hold finite float64 values")
