"""Every ORM model, imported here so Alembic's autogenerate and `alembic check` see them."""

from server.database.base import Base
from server.database.job_models import BatchJob, BatchJobChunk, JobStatus
from server.database.registry_models import (
    AliasAction,
    AliasEvent,
    MLModel,
    ModelAlias,
    ModelVersion,
    RunStatus,
    TrainingRun,
    VersionStatus,
)
from server.database.serving_models import Prediction, TrafficPolicy

__all__ = [
    "AliasAction",
    "AliasEvent",
    "Base",
    "BatchJob",
    "BatchJobChunk",
    "JobStatus",
    "MLModel",
    "ModelAlias",
    "ModelVersion",
    "Prediction",
    "RunStatus",
    "TrafficPolicy",
    "TrainingRun",
    "VersionStatus",
]
