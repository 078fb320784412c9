"""Calibration of the top-class confidence: expected calibration error and reliability bins.

Bins are equal-width on [0, 1] and half-open on the left like the training evaluation's
(`floor(confidence * bins)`, the top bin closed), so the ECE of both agree at equal bins.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from server.agents.numeric import FloatArray


class ReliabilityBin(BaseModel):
    """One confidence bin: how confident the model was there and how often it was right."""

    model_config = ConfigDict(frozen=True)

    lower: float
    upper: float
    count: int
    confidence: float | None
    accuracy: float | None


class Calibration(BaseModel):
    model_config = ConfigDict(frozen=True)

    expected_calibration_error: float
    bins: list[ReliabilityBin]


def calibration(confidence: FloatArray, correct: NDArray[np.bool_], bins: int) -> Calibration:
    """ECE (count-weighted mean |accuracy - confidence| over bins) and the bins themselves."""
    if confidence.size == 0:
        raise ValueError("calibration needs at least one labelled prediction")
    index = np.minimum((confidence * bins).astype(np.intp), bins - 1)
    rows: list[ReliabilityBin] = []
    error = 0.0
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        mean_confidence = float(confidence[members].mean()) if count else None
        accuracy = float(correct[members].mean()) if count else None
        if mean_confidence is not None and accuracy is not None:
            error += count / confidence.size * abs(accuracy - mean_confidence)
        rows.append(
            ReliabilityBin(
                lower=b / bins,
                upper=(b + 1) / bins,
                count=count,
                confidence=mean_confidence,
                accuracy=accuracy,
            )
        )
    return Calibration(expected_calibration_error=error, bins=rows)
