"""A version as one self-contained file: a plain tar of `manifest.json` and every file it
lists (model files and model card), to move a model between environments without
retraining.

Writing is deterministic (sorted members, fixed times and owners): the same version always
gives the same bytes. Reading trusts nothing: only regular files with plain names, the
manifest first parsed, every listed file present and matching its sha256, nothing else.
"""

from __future__ import annotations

import io
import tarfile

from server.agents.artifacts.manifest import MANIFEST_FILE, ArtifactManifest, sha256_hex
from server.agents.artifacts.store import VerifiedArtifact, parse_manifest
from server.agents.errors import ArtifactIntegrityError

MAX_BUNDLE_MEMBERS = 64


def write_bundle(artifact: VerifiedArtifact) -> bytes:
    """The bundle of a verified version."""
    members = {MANIFEST_FILE: artifact.manifest.to_bytes(), **artifact.files}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def read_bundle(
    data: bytes, *, expected_manifest_sha256: str | None = None
) -> tuple[ArtifactManifest, str, dict[str, bytes]]:
    """The manifest, its sha256 and the verified files of a bundle;
    `ArtifactIntegrityError` for anything that is not exactly a bundle of one version."""
    label = "bundle"
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for count, info in enumerate(archive, start=1):
                if count > MAX_BUNDLE_MEMBERS:
                    raise ArtifactIntegrityError(f"{label}: too many members")
                if not info.isreg() or "/" in info.name or info.name in members:
                    raise ArtifactIntegrityError(f"{label}: unexpected member {info.name!r}")
                extracted = archive.extractfile(info)
                if extracted is None:  # pragma: no cover - regular files always extract
                    raise ArtifactIntegrityError(f"{label}: unreadable member {info.name!r}")
                members[info.name] = extracted.read()
    except tarfile.TarError as error:
        raise ArtifactIntegrityError(f"{label}: not a tar archive: {error}") from error
    manifest_bytes = members.pop(MANIFEST_FILE, None)
    if manifest_bytes is None:
        raise ArtifactIntegrityError(f"{label}: {MANIFEST_FILE} is missing")
    manifest, manifest_sha256 = parse_manifest(label, manifest_bytes, expected_manifest_sha256)
    problems = [
        f"{name} is not listed in the manifest"
        for name in sorted(members)
        if name not in manifest.files
    ]
    for name, digest in sorted(manifest.files.items()):
        if name not in members:
            problems.append(f"{name} is missing")
        elif (actual := sha256_hex(members[name])) != digest.sha256:
            problems.append(f"{name} sha256 {actual} differs from the manifest's {digest.sha256}")
    if problems:
        raise ArtifactIntegrityError(f"{label} failed verification: " + "; ".join(problems))
    return manifest, manifest_sha256, members
