"""Settings of the AI core: the model, its artifacts, training, gates and the reply
assistant's LLM providers (used by `agents/`)."""

from pathlib import Path

from pydantic import BaseModel, Field

from server.config.base import SERVER_DIR
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
