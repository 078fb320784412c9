"""Every ORM model, imported here so Alembic's autogenerate and `alembic check` see them."""

from server.database.base import Base
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

__all__ = [
    "AliasAction",
    "AliasEvent",
    "Base",
    "MLModel",
    "ModelAlias",
    "ModelVersion",
    "RunStatus",
    "TrainingRun",
    "VersionStatus",
]
