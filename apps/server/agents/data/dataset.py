"""The labelled ticket dataset passed between ingestion, generation and training."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

UNKNOWN = "unknown"
"""Metadata value used when a source does not provide a column (e.g. a CSV without segment)."""


@dataclass(frozen=True, slots=True)
class TicketDataset:
    """Column-oriented labelled tickets: every column has one entry per row.

    `segment` is the group used for bias analysis (a region or language); `channel` and
    `tier` are metadata the generator fills in and ingestion leaves as `unknown`.
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    segments: tuple[str, ...]
    channels: tuple[str, ...]
    tiers: tuple[str, ...]

    def __post_init__(self) -> None:
        lengths = {
            len(column)
            for column in (self.texts, self.labels, self.segments, self.channels, self.tiers)
        }
        if len(lengths) != 1:
            raise ValueError("every column of a TicketDataset needs one entry per row")

    @classmethod
    def from_columns(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        segments: Sequence[str] | None = None,
        channels: Sequence[str] | None = None,
        tiers: Sequence[str] | None = None,
    ) -> TicketDataset:
        """Build a dataset; missing metadata columns are filled with `unknown`."""
        missing = (UNKNOWN,) * len(texts)
        return cls(
            texts=tuple(texts),
            labels=tuple(labels),
            segments=tuple(segments) if segments is not None else missing,
            channels=tuple(channels) if channels is not None else missing,
            tiers=tuple(tiers) if tiers is not None else missing,
        )

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices: Sequence[int]) -> TicketDataset:
        """The rows at `indices`, in that order."""
        return TicketDataset(
            texts=tuple(self.texts[i] for i in indices),
            labels=tuple(self.labels[i] for i in indices),
            segments=tuple(self.segments[i] for i in indices),
            channels=tuple(self.channels[i] for i in indices),
            tiers=tuple(self.tiers[i] for i in indices),
        )

    def class_counts(self) -> dict[str, int]:
        """Rows per label, sorted by label."""
        return dict(sorted(Counter(self.labels).items()))

    def fingerprint(self) -> str:
        """sha256 of the columns that training uses (text, label, segment), in row order.

        Unit and record separators delimit fields, so no two datasets share a byte stream.
        """
        digest = hashlib.sha256()
        for text, label, segment in zip(self.texts, self.labels, self.segments, strict=True):
            digest.update(f"{label}\x1f{segment}\x1f{text}\x1e".encode())
        return digest.hexdigest()
