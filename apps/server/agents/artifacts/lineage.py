"""Where a version came from: the code revision, the dependency lock, the seed and the whole
training configuration, recorded in its manifest.

The commit is read from the git checkout the code runs from (`make train` in a clone), else
taken from the image's build argument (`APP_GIT_COMMIT`); when neither is known the manifest
says why instead of leaving a bare null.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

COMMIT_PATTERN = r"^[0-9a-f]{7,40}$"
_GIT_TIMEOUT_S = 10


class CodeRevision(BaseModel):
    """The commit of the code that trained a version, or why it is unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commit: str | None = Field(pattern=COMMIT_PATTERN)
    source: Literal["checkout", "image"] | None
    dirty: bool | None = Field(
        None, description="Tracked files differed from the commit (checkout only)."
    )
    missing_reason: str | None = None

    @model_validator(mode="after")
    def _commit_or_reason(self) -> Self:
        if self.commit is None and not self.missing_reason:
            raise ValueError("a revision without a commit must say why")
        if self.commit is not None and (self.source is None or self.missing_reason):
            raise ValueError("a known commit names its source and no missing reason")
        return self


class BuildProvenance(BaseModel):
    """What the process that trains knows about itself: code and dependencies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CodeRevision
    dependency_lock_sha256: str | None = Field(
        description="sha256 of `uv.lock`; null when the lock file is not shipped."
    )


class Lineage(BuildProvenance):
    """`BuildProvenance` plus what the run itself was given."""

    seed: int
    training_config: dict[str, Any]


UNRECORDED = BuildProvenance(
    code=CodeRevision(commit=None, source=None, missing_reason="the caller recorded no revision"),
    dependency_lock_sha256=None,
)
"""Provenance of a run whose caller gave none (tests, notebooks)."""


def _git(git: str, checkout: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - the resolved git binary, fixed arguments
            [git, "-C", str(checkout), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _from_checkout(checkout: Path) -> tuple[CodeRevision | None, str]:
    git = shutil.which("git")
    if git is None:
        return None, "git is not installed"
    commit = _git(git, checkout, "rev-parse", "--verify", "HEAD")
    if commit is None:
        return None, f"{checkout.name}/ is not in a git checkout with a commit"
    status = _git(git, checkout, "status", "--porcelain", "--untracked-files=no")
    dirty = None if status is None else bool(status)
    return CodeRevision(commit=commit, source="checkout", dirty=dirty), ""


def resolve_code_revision(checkout: Path, image_commit: str | None) -> CodeRevision:
    """The commit of `checkout` when it is a git checkout, else `image_commit` (the image's
    build argument), else no commit and the reason."""
    revision, why_not = _from_checkout(checkout)
    if revision is not None:
        return revision
    if image_commit:
        return CodeRevision(commit=image_commit, source="image")
    return CodeRevision(
        commit=None,
        source=None,
        missing_reason=f"{why_not}, and APP_GIT_COMMIT is unset (build the image with "
        "--build-arg REVISION=<commit>)",
    )


def lock_file_sha256(lock_file: Path) -> str | None:
    """sha256 of the dependency lock file, None when it is absent."""
    try:
        return hashlib.sha256(lock_file.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def build_provenance(checkout: Path, image_commit: str | None, lock_file: Path) -> BuildProvenance:
    """The provenance of a run started by this process."""
    return BuildProvenance(
        code=resolve_code_revision(checkout, image_commit),
        dependency_lock_sha256=lock_file_sha256(lock_file),
    )
