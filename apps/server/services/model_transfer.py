"""Moving built versions between environments without retraining: export a registered
version as a bundle, import a bundle, and register a version that CI uploaded to the store,
pinned by its manifest digest.

Every path verifies the files against the manifest and the manifest against the expected
digest before anything is registered; the artifact is stored before the registry row is
written, so a registered version always has its files.
"""

import asyncio
from urllib.parse import urlsplit

from server.agents.artifacts.bundle import read_bundle, write_bundle
from server.agents.artifacts.factory import open_artifact_store
from server.agents.artifacts.manifest import ArtifactManifest, sha256_hex
from server.agents.errors import ArtifactError, ArtifactExistsError, ArtifactIntegrityError
from server.config import Settings
from server.core.errors import ConflictError, UnprocessableError
from server.database import registry_repository
from server.database.registry_models import ModelVersion
from server.database.session import Database
from server.services import registry


async def export_version(database: Database, settings: Settings, name: str, version: int) -> bytes:
    """The bundle of a registered version, verified against the registry's digest."""
    async with database.session() as session:
        row, _ = await registry.describe_version(session, name, version)
        recorded = row.sha256
    store = open_artifact_store(settings)
    artifact = await asyncio.to_thread(store.open, name, version, expected_manifest_sha256=recorded)
    return write_bundle(artifact)


async def _register(
    database: Database,
    manifest: ArtifactManifest,
    artifact_uri: str,
    manifest_sha256: str,
    *,
    actor: str,
    promote: bool,
    reason: str,
) -> ModelVersion:
    async with database.session() as session:
        row = await registry.register_version(
            session,
            model_name=manifest.name,
            version=manifest.version,
            artifact_uri=artifact_uri,
            sha256=manifest_sha256,
            metrics=manifest.metrics.model_dump(mode="json", exclude={"per_class"}),
            manifest=manifest.model_dump(mode="json"),
            created_by=actor,
        )
        if promote:
            await registry.set_alias(
                session,
                manifest.name,
                registry.CHAMPION,
                manifest.version,
                actor=actor,
                reason=reason,
            )
        return row


async def _refuse_taken(database: Database, name: str, version: int) -> None:
    async with database.session() as session:
        model = await registry_repository.get_model(session, name)
        if model is not None and await registry_repository.get_version(session, model, version):
            raise ConflictError(
                f"Model '{name}' already has a version {version}; import under another number."
            )


async def import_bundle(
    database: Database,
    settings: Settings,
    data: bytes,
    *,
    actor: str,
    version: int | None = None,
    promote: bool = False,
) -> ModelVersion:
    """Verify a bundle, store it (as `version` when given) and register it, lineage intact."""
    try:
        manifest, _, files = read_bundle(data)
    except ArtifactIntegrityError as error:
        raise UnprocessableError(str(error)) from error
    if version is not None and version != manifest.version:
        manifest = manifest.model_copy(update={"version": version})
    await _refuse_taken(database, manifest.name, manifest.version)
    store = open_artifact_store(settings)
    try:
        ref = await asyncio.to_thread(store.save, manifest, files)
    except ArtifactExistsError:
        # Stored but not registered (an import that stopped half-way): the same bytes only.
        ref = await asyncio.to_thread(store.verify, manifest.name, manifest.version)
        if ref.manifest_sha256 != sha256_hex(manifest.to_bytes()):
            raise ConflictError(
                f"The store already holds another {manifest.name} version {manifest.version}."
            ) from None
    return await _register(
        database,
        manifest,
        ref.uri,
        ref.manifest_sha256,
        actor=actor,
        promote=promote,
        reason=f"imported {manifest.name} v{manifest.version}",
    )


def _version_of(store_url: str, manifest_url: str) -> tuple[str, int]:
    """(model, version) of a manifest URL inside the configured store."""
    base = store_url.rstrip("/") + "/versions/"
    tail = manifest_url.removeprefix(base) if manifest_url.startswith(base) else None
    parts = tail.split("/") if tail else []
    if len(parts) != 3 or parts[2] != "manifest.json" or not parts[1].isdigit():
        raise UnprocessableError(
            f"{manifest_url} is not a manifest of the configured store ({base}<model>/<version>"
            "/manifest.json)."
        )
    return parts[0], int(parts[1])


async def register_stored(
    database: Database,
    settings: Settings,
    manifest_url: str,
    manifest_sha256: str,
    *,
    actor: str,
    promote: bool = False,
) -> ModelVersion:
    """Register (and promote) a version already in the store, e.g. uploaded by CI, if and
    only if its manifest has `manifest_sha256` and every file verifies."""
    if urlsplit(manifest_url).scheme != "s3" or settings.artifact_store_url is None:
        raise UnprocessableError("Registering by manifest URL needs an s3:// artifact store.")
    name, version = _version_of(settings.artifact_store_url, manifest_url)
    await _refuse_taken(database, name, version)
    store = open_artifact_store(settings)
    try:
        artifact = await asyncio.to_thread(
            store.open, name, version, expected_manifest_sha256=manifest_sha256
        )
    except ArtifactIntegrityError as error:
        raise ConflictError(f"Refused: {error}") from error
    return await _register(
        database,
        artifact.manifest,
        artifact.ref.uri,
        artifact.ref.manifest_sha256,
        actor=actor,
        promote=promote,
        reason=f"registered by digest {manifest_sha256[:12]}",
    )


async def verify_registered(database: Database, settings: Settings) -> list[tuple[str, int, str]]:
    """Every registered version checked against the store: (model, version, problem), where
    problem is "" when every file is present and matches the recorded digest (a restore
    drill's and an operator's check that the registry points at nothing missing)."""
    async with database.session() as session:
        pinned = [
            (model.name, row.version, row.sha256)
            for model in await registry_repository.list_models(session)
            for row in await registry_repository.list_versions(session, model)
        ]
    store = open_artifact_store(settings)
    checked = []
    for name, version, sha256 in pinned:
        try:
            await asyncio.to_thread(store.verify, name, version, expected_manifest_sha256=sha256)
            checked.append((name, version, ""))
        except ArtifactError as error:
            checked.append((name, version, str(error)))
    return checked
