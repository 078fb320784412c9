"""Where a version's code came from: a git checkout, the image's build argument, or a reason."""

import shutil
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.agents.artifacts.lineage import (
    CodeRevision,
    build_provenance,
    lock_file_sha256,
    resolve_code_revision,
)
from server.agents.artifacts.manifest import sha256_hex
from server.config import SERVER_DIR, Settings

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    assert GIT is not None
    done = subprocess.run(  # noqa: S603 - the test's own git calls
        [GIT, "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "clone"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("print('v1')\n", encoding="utf-8")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    return repo


@needs_git
def test_a_checkout_gives_its_head(checkout: Path) -> None:
    revision = resolve_code_revision(checkout, image_commit="fedcba9")
    assert revision.commit == _git(checkout, "rev-parse", "HEAD")
    assert revision.source == "checkout"
    assert revision.dirty is False


@needs_git
def test_a_changed_tracked_file_marks_the_checkout_dirty(checkout: Path) -> None:
    (checkout / "train.py").write_text("print('v2')\n", encoding="utf-8")
    assert resolve_code_revision(checkout, None).dirty is True


@needs_git
def test_without_a_checkout_the_image_commit_is_used(tmp_path: Path) -> None:
    revision = resolve_code_revision(tmp_path, image_commit="fedcba9")
    assert (revision.commit, revision.source, revision.dirty) == ("fedcba9", "image", None)


@needs_git
def test_with_neither_the_commit_is_null_and_says_why(tmp_path: Path) -> None:
    revision = resolve_code_revision(tmp_path, image_commit=None)
    assert revision.commit is None
    assert revision.missing_reason is not None
    assert "not in a git checkout" in revision.missing_reason
    assert "APP_GIT_COMMIT is unset" in revision.missing_reason


def test_a_missing_git_binary_is_a_reason_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    revision = resolve_code_revision(tmp_path, image_commit=None)
    assert revision.missing_reason is not None
    assert revision.missing_reason.startswith("git is not installed")


def test_a_null_commit_without_a_reason_is_refused() -> None:
    with pytest.raises(ValidationError, match="must say why"):
        CodeRevision(commit=None, source=None)
    with pytest.raises(ValidationError, match="names its source"):
        CodeRevision(commit="0123abc", source=None)


@needs_git
def test_this_repository_records_its_own_head_and_lock() -> None:
    """What `make train` in a clone records: the clone's HEAD and the lock's sha256."""
    provenance = build_provenance(SERVER_DIR, None, SERVER_DIR / "uv.lock")
    assert provenance.code.commit == _git(SERVER_DIR, "rev-parse", "HEAD")
    assert provenance.dependency_lock_sha256 == sha256_hex((SERVER_DIR / "uv.lock").read_bytes())


def test_an_absent_lock_file_has_no_hash(tmp_path: Path) -> None:
    assert lock_file_sha256(tmp_path / "uv.lock") is None


def test_the_image_commit_setting_accepts_empty_and_refuses_garbage() -> None:
    assert Settings(git_commit="").git_commit is None
    assert Settings(git_commit="0123abcd").git_commit == "0123abcd"
    with pytest.raises(ValidationError):
        Settings(git_commit="unknown")
