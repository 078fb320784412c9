"""Export a registered version as a bundle and import it elsewhere, lineage intact."""

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from server.agents.artifacts.bundle import write_bundle
from server.agents.artifacts.factory import open_artifact_store
from server.agents.artifacts.store import VerifiedArtifact
from server.config import Settings
from server.core.errors import ConflictError, UnprocessableError
from server.services import model_transfer, registry
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase
from server.tests.support.models import ModelCache


@pytest.fixture
def settings(test_database: ProvisionedDatabase, tmp_path: Path) -> Settings:
    return test_database.settings.model_copy(update={"artifact_root": tmp_path / "here"})


@pytest.fixture
def database(db_connection: AsyncConnection) -> TransactionalDatabase:
    return TransactionalDatabase(db_connection)


@pytest.fixture
def artifact(model_cache: ModelCache) -> VerifiedArtifact:
    return model_cache.artifact()


async def test_export_then_import_elsewhere_keeps_the_version_and_its_lineage(
    database: TransactionalDatabase, settings: Settings, artifact: VerifiedArtifact, tmp_path: Path
) -> None:
    name, version = artifact.manifest.name, artifact.manifest.version
    bundle = write_bundle(artifact)
    row = await model_transfer.import_bundle(database, settings, bundle, actor="me")
    assert (row.version, row.sha256) == (version, artifact.ref.manifest_sha256)
    assert row.manifest["lineage"] == artifact.manifest.model_dump(mode="json")["lineage"]

    # Exporting what was imported gives the very same bytes: nothing was rebuilt.
    assert await model_transfer.export_version(database, settings, name, version) == bundle

    with pytest.raises(ConflictError, match="already has a version"):
        await model_transfer.import_bundle(database, settings, bundle, actor="me")
    elsewhere = settings.model_copy(update={"artifact_root": tmp_path / "elsewhere"})
    moved = await model_transfer.import_bundle(
        database, elsewhere, bundle, actor="me", version=version + 5, promote=True
    )
    assert moved.version == version + 5
    assert moved.manifest["lineage"] == row.manifest["lineage"]
    assert moved.manifest["training_data"] == row.manifest["training_data"]
    stored = open_artifact_store(elsewhere).open(
        name, version + 5, expected_manifest_sha256=moved.sha256
    )
    assert stored.files == artifact.files
    async with database.session() as session:
        champion = await registry.champion_version(session, name)
    assert champion is not None
    assert champion.version == version + 5


async def test_a_damaged_bundle_registers_nothing(
    database: TransactionalDatabase, settings: Settings, artifact: VerifiedArtifact
) -> None:
    bundle = bytearray(write_bundle(artifact))
    index = bundle.find(artifact.files["weights.npy"][-16:])
    bundle[index] ^= 0xFF
    with pytest.raises(UnprocessableError, match="failed verification"):
        await model_transfer.import_bundle(database, settings, bytes(bundle), actor="me")
    async with database.session() as session:
        assert await registry.reserve_version_number(session, artifact.manifest.name) == 1
    assert open_artifact_store(settings).versions(artifact.manifest.name) == []
