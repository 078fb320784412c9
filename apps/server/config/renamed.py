"""Variables that were renamed, so that a deployment still setting an old name is refused
at start instead of silently running on the default."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsError,
)

RENAMED: Mapping[str, str] = {
    "APP_TRAIN_SEED": "APP_TRAINING__SEED",
    "APP_TRAIN_HOLDOUT_FRACTION": "APP_TRAINING__HOLDOUT_FRACTION",
    "APP_TRAIN_CALIBRATION_FRACTION": "APP_TRAINING__CALIBRATION_FRACTION",
    "APP_DATA_MIN_ROWS_PER_CLASS": "APP_TRAINING__MIN_ROWS_PER_CLASS",
    "APP_DATA_MAX_REPORTED_ISSUES": "APP_TRAINING__MAX_REPORTED_ISSUES",
    "APP_TFIDF_NGRAM_MAX": "APP_TRAINING__NGRAM_MAX",
    "APP_TFIDF_MIN_DF": "APP_TRAINING__MIN_DF",
    "APP_TFIDF_MAX_DF": "APP_TRAINING__MAX_DF",
    "APP_TFIDF_MAX_FEATURES": "APP_TRAINING__MAX_FEATURES",
    "APP_CLASSIFIER_C": "APP_TRAINING__C",
    "APP_CLASSIFIER_MAX_ITER": "APP_TRAINING__MAX_ITER",
    "APP_CLASSIFIER_TOL": "APP_TRAINING__TOL",
    "APP_REFERENCE_SAMPLE_SIZE": "APP_TRAINING__REFERENCE_SAMPLE_SIZE",
    "APP_GATE_MIN_MACRO_F1": "APP_GATES__MIN_MACRO_F1",
    "APP_GATE_MIN_MACRO_AUC": "APP_GATES__MIN_MACRO_AUC",
    "APP_GATE_MIN_CLASS_PRECISION": "APP_GATES__MIN_CLASS_PRECISION",
    "APP_GATE_MIN_CLASS_RECALL": "APP_GATES__MIN_CLASS_RECALL",
    "APP_GATE_CHAMPION_MARGIN": "APP_GATES__CHAMPION_MARGIN",
    "APP_GATE_MAX_SEGMENT_RECALL_GAP": "APP_GATES__MAX_SEGMENT_RECALL_GAP",
    "APP_GATE_MIN_SEGMENT_SIZE": "APP_GATES__MIN_SEGMENT_SIZE",
    "APP_GATE_PARITY_TOLERANCE": "APP_GATES__PARITY_TOLERANCE",
    "APP_MONITORING_MIN_WINDOW": "APP_DRIFT__MIN_WINDOW",
    "APP_DRIFT_LARGE_WINDOW": "APP_DRIFT__LARGE_WINDOW",
    "APP_DRIFT_DISTANCE_THRESHOLD": "APP_DRIFT__DISTANCE_THRESHOLD",
    "APP_DRIFT_P_VALUE": "APP_DRIFT__P_VALUE",
    "APP_DRIFT_PSI_MODERATE": "APP_DRIFT__PSI_MODERATE",
    "APP_DRIFT_PSI_MAJOR": "APP_DRIFT__PSI_MAJOR",
    "APP_DRIFT_PSI_EPSILON": "APP_DRIFT__PSI_EPSILON",
    "APP_QUALITY_MIN_LABELS": "APP_QUALITY__MIN_LABELS",
    "APP_QUALITY_BOOTSTRAP_RESAMPLES": "APP_QUALITY__BOOTSTRAP_RESAMPLES",
    "APP_QUALITY_BOOTSTRAP_SEED": "APP_QUALITY__BOOTSTRAP_SEED",
    "APP_QUALITY_CONFIDENCE_LEVEL": "APP_QUALITY__CONFIDENCE_LEVEL",
    "APP_CALIBRATION_BINS": "APP_QUALITY__CALIBRATION_BINS",
    "APP_QUALITY_SEGMENT_LENGTH_EDGES": "APP_QUALITY__SEGMENT_LENGTH_EDGES",
}
"""Old variable -> new variable, for every setting that moved into a nested group."""


def refuse_renamed(names: Iterable[str]) -> None:
    """Raise, naming the replacement, when any of `names` (any case) is a renamed variable."""
    old = sorted({name.upper() for name in names} & RENAMED.keys())
    if old:
        pairs = "; ".join(f"{name} is now {RENAMED[name]}" for name in old)
        raise SettingsError(f"renamed settings are set: {pairs}")


class RenamedSettingsGuard(PydanticBaseSettingsSource):
    """A source that adds no value: it refuses renamed variables in the environment and the
    `.env` file, which would otherwise be ignored without a word."""

    def __init__(
        self, settings_cls: type[BaseSettings], sources: Sequence[PydanticBaseSettingsSource]
    ) -> None:
        super().__init__(settings_cls)
        self._sources = sources

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        for source in self._sources:
            if isinstance(source, EnvSettingsSource):  # the `.env` source is one too
                refuse_renamed(source.env_vars)
        return {}
