"""Settings of the AI core: the model, its artifacts, training, gates and the reply
assistant's LLM providers (used by `agents/`)."""

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from server.config.base import SERVER_DIR
from server.config.evaluation import PromptEvalConfig
from server.config.llm import LLMConfig
from server.config.training import GateConfig, TrainingConfig


class ModelSettings(BaseModel):
    """Model: data, training, gates, artifacts."""

    model_name: str = Field(
        "ticket-triage",
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="Name of the served model; its artifacts live in "
        "`<artifact_root>/<model_name>/<version>/`.",
    )
    model_labels: list[str] = Field(
        ["account", "billing", "other", "refund", "shipping", "technical"],
        min_length=2,
        description="Categories the model predicts; training data must cover each of them "
        "(a JSON list in the environment).",
    )
    artifact_root: Path = Field(
        SERVER_DIR / "var" / "artifacts",
        description="Root of the local artifact store (a Docker volume or a PVC when deployed).",
    )
    artifact_store_url: str | None = Field(
        None,
        pattern=r"^(file:///.*|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$",
        description="Where versions are stored: `file:///dir` (a local directory) or "
        "`s3://bucket/prefix` (S3-compatible object storage: content-addressed, write-once, "
        "verified on download). Unset: the local directory `artifact_root`.",
    )
    artifact_cache_dir: Path = Field(
        SERVER_DIR / "var" / "artifact-cache",
        description="Verified local copies of files downloaded from object storage, by sha256 "
        "(re-hashed on every read).",
    )
    artifact_s3_endpoint_url: str | None = Field(
        None,
        description="S3 endpoint of a non-AWS server (MinIO, compose's, a test's); unset: AWS.",
    )
    artifact_s3_region: str | None = Field(
        None, description="S3 region; unset: the environment's (AWS_REGION) or us-east-1."
    )
    artifact_s3_access_key_id: str | None = Field(
        None,
        description="S3 access key; unset: the default credential chain (environment, web "
        "identity such as IRSA, instance or task role).",
    )
    artifact_s3_secret_access_key: SecretStr | None = Field(
        None, description="S3 secret key, with `artifact_s3_access_key_id`."
    )
    artifact_s3_timeout_s: float = Field(
        30.0, gt=0, description="Timeout of one object storage request, and of its retries."
    )
    artifact_s3_max_retries: int = Field(
        3, ge=0, description="Retries of a failed object storage request (with backoff)."
    )
    dependency_lock_file: Path = Field(
        SERVER_DIR / "uv.lock",
        description="The dependency lock whose sha256 each version's lineage records.",
    )
    max_text_chars: int = Field(
        2000,
        ge=16,
        description="Texts are cut to this many characters after normalization; recorded in "
        "the artifact so that serving cuts exactly like training.",
    )
    use_gpu: bool = Field(
        False,
        description="Run the classifier's linear scoring on a GPU through CuPy when one is "
        "present; falls back to CPU with a warning otherwise.",
    )
    training: TrainingConfig = Field(
        default_factory=TrainingConfig,
        description="Data rules and hyperparameters of a training run (`APP_TRAINING__*`).",
    )
    gates: GateConfig = Field(
        default_factory=GateConfig,
        description="Validation gates of a candidate, also the quality monitoring judges "
        "against (`APP_GATES__*`).",
    )
    llm: LLMConfig = Field(
        default_factory=LLMConfig,
        description="Providers of the reply assistant and the limits of each call (`APP_LLM__*`).",
    )
    prompt_eval: PromptEvalConfig = Field(
        default_factory=PromptEvalConfig,
        description="The offline evaluation of prompt versions and the gate of their "
        "promotion (`APP_PROMPT_EVAL__*`).",
    )
