"""`manifest.json`: what a model version is, how it was made, and the sha256 of every file."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from server.agents.artifacts.lineage import Lineage
from server.agents.artifacts.reference import ReferenceStatistics
from server.agents.training.reports import BiasReport, EvaluationReport

MANIFEST_FILE: Final = "manifest.json"
MODEL_CARD_FILE: Final = "model_card.md"
MODEL_NAME_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,63}$"
# Plain file names only: a manifest must never point outside its version directory.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


class FileDigest(BaseModel):
    """Size and sha256 of one artifact file."""

    model_config = ConfigDict(frozen=True)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)

    @classmethod
    def of(cls, data: bytes) -> FileDigest:
        """The digest of `data`."""
        return cls(sha256=sha256_hex(data), size=len(data))


class TrainingDataInfo(BaseModel):
    """Which data trained the model and how it was split."""

    model_config = ConfigDict(frozen=True)

    sha256: str
    """`TicketDataset.fingerprint()`: a hash of the parsed rows, not of a file's bytes."""
    rows: int
    source: str
    class_counts: dict[str, int]
    train_rows: int
    calibration_rows: int
    holdout_rows: int


class TensorSpec(BaseModel):
    """One input or output of the model; -1 in `shape` is the batch dimension."""

    model_config = ConfigDict(frozen=True)

    name: str
    dtype: str
    shape: list[int]
    description: str


class Signature(BaseModel):
    """Inputs and outputs, as a caller of `TicketClassifier` sees them."""

    model_config = ConfigDict(frozen=True)

    inputs: list[TensorSpec]
    outputs: list[TensorSpec]


class ArtifactManifest(BaseModel):
    """The manifest of one model version; files other than itself are listed with digests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    name: str = Field(pattern=MODEL_NAME_PATTERN)
    version: int = Field(ge=1)
    created_at: AwareDatetime
    git_commit: str | None = None
    model_format: str
    labels: list[str]
    files: dict[str, FileDigest]
    training_data: TrainingDataInfo
    hyperparameters: dict[str, Any]
    metrics: EvaluationReport
    bias_report: BiasReport
    signature: Signature
    reference: ReferenceStatistics
    lineage: Lineage | None = None
    """Code, dependencies, seed and configuration; None only in manifests written before
    lineage was recorded. `git_commit` above repeats `lineage.code.commit` for older readers."""

    @field_validator("files")
    @classmethod
    def _plain_file_names(cls, files: dict[str, FileDigest]) -> dict[str, FileDigest]:
        for name in files:
            if not _FILE_NAME.match(name) or name == MANIFEST_FILE:
                raise ValueError(f"invalid artifact file name {name!r}")
        return files

    @model_validator(mode="after")
    def _one_commit(self) -> Self:
        if self.lineage is not None and self.lineage.code.commit != self.git_commit:
            raise ValueError("git_commit differs from lineage.code.commit")
        return self

    def to_bytes(self) -> bytes:
        """The canonical bytes written to `manifest.json`."""
        return (self.model_dump_json(indent=2) + "\n").encode()


def signature_for(labels: list[str], max_text_chars: int) -> Signature:
    """The signature of a ticket classifier over `labels`."""
    return Signature(
        inputs=[
            TensorSpec(
                name="texts",
                dtype="string",
                shape=[-1],
                description=f"ticket texts; NFC-normalized, control characters removed, "
                f"cut to {max_text_chars} characters",
            )
        ],
        outputs=[
            TensorSpec(name="label", dtype="string", shape=[-1], description="most probable label"),
            TensorSpec(
                name="probabilities",
                dtype="float64",
                shape=[-1, len(labels)],
                description="calibrated probabilities, columns in the order of `labels`",
            ),
        ],
    )
