"""Stratified, seeded split of a dataset into training, calibration and holdout rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import train_test_split

from server.agents.data.dataset import TicketDataset

IndexArray = NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class DataSplit:
    """Row indices of each part; the parts are disjoint and cover the dataset."""

    train: IndexArray
    calibration: IndexArray
    holdout: IndexArray


def split_dataset(
    dataset: TicketDataset, holdout_fraction: float, calibration_fraction: float, seed: int
) -> DataSplit:
    """Hold out `holdout_fraction` of the rows, then `calibration_fraction` of the rest.

    Both cuts are stratified by label, so every class keeps its share in every part.
    """
    rows = np.arange(len(dataset), dtype=np.intp)
    labels = np.asarray(dataset.labels)
    rest, holdout = train_test_split(
        rows, test_size=holdout_fraction, stratify=labels, random_state=seed
    )
    train, calibration = train_test_split(
        rest, test_size=calibration_fraction, stratify=labels[rest], random_state=seed
    )
    return DataSplit(
        train=np.sort(np.asarray(train, dtype=np.intp)),
        calibration=np.sort(np.asarray(calibration, dtype=np.intp)),
        holdout=np.sort(np.asarray(holdout, dtype=np.intp)),
    )
