"""The distribution shift of the ticket generator (not drift monitoring, which lives in
`agents/monitoring/`): how far generated data moves from the original.

Strength 0 is the training distribution; strength 1 is a clearly different world: new product
vocabulary, a category mix dominated by technical and shipping tickets, and longer texts.
Tests use it to check that drift statistics move, demos to show a model going stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

BASE_PRIOR: Final[dict[str, float]] = {
    "account": 0.16,
    "billing": 0.22,
    "other": 0.10,
    "refund": 0.14,
    "shipping": 0.16,
    "technical": 0.22,
}
"""Category mix of undrifted data, before the customer tier adjusts it."""

DRIFTED_PRIOR: Final[dict[str, float]] = {
    "account": 0.08,
    "billing": 0.10,
    "other": 0.04,
    "refund": 0.08,
    "shipping": 0.28,
    "technical": 0.42,
}
"""Category mix at full drift strength."""

# At full strength this share of tickets talks about products the model has never seen.
_MAX_NEW_VOCABULARY_RATE: Final = 0.7
# At full strength tickets carry this many extra filler sentences on average.
_MAX_EXTRA_SENTENCES: Final = 4.0


@dataclass(frozen=True, slots=True)
class DriftSpec:
    """How much generated data drifts; `strength` in [0, 1] scales every effect.

    `extra_label_noise` adds mislabelled rows on top of the generator's base noise: it is
    not drift of the inputs but of data quality, the case the champion gate exists for.
    """

    strength: float = 0.0
    extra_label_noise: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError("drift strength must be within [0, 1]")
        if not 0.0 <= self.extra_label_noise < 1.0:
            raise ValueError("extra_label_noise must be within [0, 1)")

    def class_prior(self) -> dict[str, float]:
        """The category mix, linearly between the base and the drifted mix."""
        s = self.strength
        return {
            label: (1 - s) * BASE_PRIOR[label] + s * DRIFTED_PRIOR[label] for label in BASE_PRIOR
        }

    @property
    def new_vocabulary_rate(self) -> float:
        """Probability that a ticket mentions a product the original data never had."""
        return _MAX_NEW_VOCABULARY_RATE * self.strength

    @property
    def extra_sentences(self) -> float:
        """Mean number of extra filler sentences per ticket (longer texts)."""
        return _MAX_EXTRA_SENTENCES * self.strength


NO_DRIFT: Final = DriftSpec()
