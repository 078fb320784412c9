"""Artifact stores: where versions live, `<root>/<model>/<version>/`, and how they are verified.

A version directory appears complete or not at all: files are written to a hidden temporary
directory beside it, synced, and renamed into place. Opening a version reads every file once,
checks it against the manifest's sha256, and hands out those verified bytes, so nothing is
parsed that was not checked.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from server.agents.artifacts.manifest import (
    MANIFEST_FILE,
    MODEL_NAME_PATTERN,
    ArtifactManifest,
    FileDigest,
    sha256_hex,
)
from server.agents.errors import (
    ArtifactError,
    ArtifactExistsError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
)

_MODEL_NAME = re.compile(MODEL_NAME_PATTERN)


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """Where a version is; `manifest_sha256` is what a registry records to pin it."""

    name: str
    version: int
    uri: str
    manifest_sha256: str


@dataclass(frozen=True, slots=True)
class VerifiedArtifact:
    """A version whose every file matched its manifest digest when read."""

    ref: ArtifactRef
    manifest: ArtifactManifest
    files: Mapping[str, bytes]


class ArtifactStore(Protocol):
    """Keeps immutable model versions; implementations: a local directory
    (`LocalArtifactStore`) and S3-compatible object storage (`ObjectArtifactStore`)."""

    def save(self, manifest: ArtifactManifest, files: Mapping[str, bytes]) -> ArtifactRef:
        """Store a new version atomically; `ArtifactExistsError` if it exists."""
        ...

    def open(
        self, name: str, version: int, *, expected_manifest_sha256: str | None = None
    ) -> VerifiedArtifact:
        """Read and verify a version; `ArtifactNotFoundError`, `ArtifactIntegrityError`."""
        ...

    def verify(
        self, name: str, version: int, *, expected_manifest_sha256: str | None = None
    ) -> ArtifactRef:
        """Check every file of a version; raise like `open`."""
        ...

    def versions(self, name: str) -> list[int]:
        """The stored versions of a model, ascending."""
        ...

    def models(self) -> list[str]:
        """The names of the models with a directory in the store."""
        ...

    def delete(self, name: str, version: int) -> None:
        """Remove a version (e.g. a failed candidate); `ArtifactNotFoundError` if absent."""
        ...


def check_key(name: str, version: int) -> None:
    if not _MODEL_NAME.match(name):
        raise ArtifactError(f"invalid model name {name!r}")
    if version < 1:
        raise ArtifactError(f"invalid version {version}: versions start at 1")


def parse_manifest(
    label: str, manifest_bytes: bytes, expected_sha256: str | None
) -> tuple[ArtifactManifest, str]:
    """The manifest and its sha256; `ArtifactIntegrityError` when it differs from what the
    registry recorded or does not parse."""
    manifest_sha256 = sha256_hex(manifest_bytes)
    if expected_sha256 is not None and manifest_sha256 != expected_sha256:
        raise ArtifactIntegrityError(
            f"{label}: {MANIFEST_FILE} sha256 {manifest_sha256} differs from the recorded "
            f"{expected_sha256}"
        )
    try:
        manifest = ArtifactManifest.model_validate_json(manifest_bytes)
    except ValidationError as error:
        raise ArtifactIntegrityError(f"{label}: {MANIFEST_FILE} is invalid: {error}") from error
    return manifest, manifest_sha256


def check_files_match(manifest: ArtifactManifest, files: Mapping[str, bytes]) -> None:
    """Refuse to save files that are not exactly the ones the manifest lists."""
    if set(files) != set(manifest.files) or any(
        FileDigest.of(data) != manifest.files[name] for name, data in files.items()
    ):
        raise ArtifactError("the files do not match the manifest's digests")


def check_identity(artifact: VerifiedArtifact, name: str, version: int) -> VerifiedArtifact:
    """Refuse a version whose manifest names another model or version."""
    if (artifact.manifest.name, artifact.manifest.version) != (name, version):
        raise ArtifactIntegrityError(
            f"artifact {name}/{version} holds the manifest of "
            f"{artifact.manifest.name}/{artifact.manifest.version}"
        )
    return artifact


def read_verified(
    directory: Path, *, expected_manifest_sha256: str | None = None
) -> VerifiedArtifact:
    """Read a version directory and verify it completely.

    Refused with `ArtifactIntegrityError`: a missing or unparsable manifest, a manifest
    whose sha256 differs from `expected_manifest_sha256` (what the registry recorded), a
    listed file that is missing or differs from its digest, and any file not listed.
    """
    # Messages name the version and its files, never the store's path: a refusal's reason
    # travels to readiness and to clients.
    label = f"artifact {directory.parent.name}/{directory.name}"
    if not directory.is_dir():
        raise ArtifactNotFoundError(f"{label} does not exist")
    try:
        manifest_bytes = (directory / MANIFEST_FILE).read_bytes()
    except FileNotFoundError as error:
        raise ArtifactIntegrityError(f"{label}: {MANIFEST_FILE} is missing") from error
    manifest, manifest_sha256 = parse_manifest(label, manifest_bytes, expected_manifest_sha256)
    present = {entry.name: entry for entry in directory.iterdir()}
    problems: list[str] = []
    unexpected = sorted(set(present) - set(manifest.files) - {MANIFEST_FILE})
    problems += [f"{name} is not listed in the manifest" for name in unexpected]
    files: dict[str, bytes] = {}
    for name, digest in sorted(manifest.files.items()):
        entry = present.get(name)
        if entry is None or entry.is_symlink() or not entry.is_file():
            problems.append(f"{name} is missing")
            continue
        data = entry.read_bytes()
        actual = sha256_hex(data)
        if actual != digest.sha256:
            problems.append(f"{name} sha256 {actual} differs from the manifest's {digest.sha256}")
        files[name] = data
    if problems:
        raise ArtifactIntegrityError(f"{label} failed verification: " + "; ".join(problems))
    ref = ArtifactRef(manifest.name, manifest.version, directory.as_uri(), manifest_sha256)
    return VerifiedArtifact(ref=ref, manifest=manifest, files=files)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalArtifactStore:
    """An `ArtifactStore` on a local (or mounted) directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str, version: int) -> Path:
        """The directory of a version (it may not exist)."""
        check_key(name, version)
        return self.root / name / str(version)

    def save(self, manifest: ArtifactManifest, files: Mapping[str, bytes]) -> ArtifactRef:
        """Write the files and the manifest to a temporary directory, then rename it."""
        final = self.path(manifest.name, manifest.version)
        check_files_match(manifest, files)
        if final.exists():
            raise ArtifactExistsError(f"{manifest.name} version {manifest.version} exists")
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{manifest.version}-", dir=final.parent))
        try:
            for name, data in files.items():
                _write_synced(staging / name, data)
            manifest_bytes = manifest.to_bytes()
            _write_synced(staging / MANIFEST_FILE, manifest_bytes)
            _sync_directory(staging)
            # mkdtemp makes the directory private (0700); API and worker containers may
            # read the volume under other users, so open it up like any directory.
            staging.chmod(0o755)
            try:
                os.rename(staging, final)  # atomic; fails if another writer got there first
            except OSError as error:
                if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    raise ArtifactExistsError(
                        f"{manifest.name} version {manifest.version} exists"
                    ) from error
                raise
            _sync_directory(final.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return ArtifactRef(
            manifest.name, manifest.version, final.as_uri(), sha256_hex(manifest_bytes)
        )

    def open(
        self, name: str, version: int, *, expected_manifest_sha256: str | None = None
    ) -> VerifiedArtifact:
        """Read and verify a version (see `read_verified`)."""
        artifact = read_verified(
            self.path(name, version), expected_manifest_sha256=expected_manifest_sha256
        )
        return check_identity(artifact, name, version)

    def verify(
        self, name: str, version: int, *, expected_manifest_sha256: str | None = None
    ) -> ArtifactRef:
        """Check every file of a version."""
        return self.open(name, version, expected_manifest_sha256=expected_manifest_sha256).ref

    def versions(self, name: str) -> list[int]:
        """Complete versions only: staging directories are hidden and skipped."""
        model_dir = self.root / name
        if not _MODEL_NAME.match(name) or not model_dir.is_dir():
            return []
        return sorted(
            int(entry.name)
            for entry in model_dir.iterdir()
            if entry.is_dir() and entry.name.isdigit() and entry.name == str(int(entry.name))
        )

    def models(self) -> list[str]:
        """Model directories under the root."""
        if not self.root.is_dir():
            return []
        return sorted(
            e.name for e in self.root.iterdir() if e.is_dir() and _MODEL_NAME.match(e.name)
        )

    def delete(self, name: str, version: int) -> None:
        """Rename the version out of sight first, so a half-deleted one is never listed."""
        final = self.path(name, version)
        if not final.is_dir():
            raise ArtifactNotFoundError(f"{name} version {version} does not exist")
        doomed = final.with_name(f".deleting-{version}-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(doomed)
        os.rename(final, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
