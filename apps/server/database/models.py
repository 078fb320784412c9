"""Every ORM model, imported here so Alembic's autogenerate and `alembic check` see them."""

from server.database.article_models import Article
from server.database.auth_models import ApiKey, RefreshToken, User
from server.database.base import Base
from server.database.draft_models import Draft, DraftStatus
from server.database.job_models import BatchJob, BatchJobChunk, JobStatus
from server.database.monitoring_models import DriftRecord, QualityRecord, RetrainTrigger
from server.database.prompt_eval_models import PromptEvalRun
from server.database.prompt_models import (
    PromptAlias,
    PromptAliasEvent,
    PromptTraffic,
    PromptVersion,
)
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
    "ApiKey",
    "Article",
    "Base",
    "BatchJob",
    "BatchJobChunk",
    "Draft",
    "DraftStatus",
    "DriftRecord",
    "JobStatus",
    "MLModel",
    "ModelAlias",
    "ModelVersion",
    "Prediction",
    "PromptAlias",
    "PromptAliasEvent",
    "PromptEvalRun",
    "PromptTraffic",
    "PromptVersion",
    "QualityRecord",
    "RefreshToken",
    "RetrainTrigger",
    "RunStatus",
    "TrafficPolicy",
    "TrainingRun",
    "User",
    "VersionStatus",
]
