"""Training runs that store their version on object storage (a real S3-protocol server), and
versions uploaded by CI registered by their digest."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from server.agents.artifacts.factory import open_artifact_store
from server.agents.classifier import TicketClassifier
from server.config import Settings
from server.core.errors import ConflictError, UnprocessableError
from server.database.models import RunStatus, TrainingRun
from server.services import model_transfer, registry, training
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase
from server.tests.support.live_server import free_port
from server.tests.support.models import ModelCache
from server.tests.support.s3_server import S3Server, s3_server

BUCKET = "models"


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with s3_server() as running:
        running.create_bucket(BUCKET)
        yield running


@pytest.fixture
def settings(test_database: ProvisionedDatabase, tmp_path: Path) -> Settings:
    return test_database.settings.model_copy(
        update={"artifact_cache_dir": tmp_path / "cache", "train_default_rows": 3000}
    )


@pytest.fixture
def database(db_connection: AsyncConnection) -> TransactionalDatabase:
    return TransactionalDatabase(db_connection)


async def _run(database: TransactionalDatabase, settings: Settings) -> TrainingRun:
    created = await training.create_run(
        database, settings, training.RunParams(promote=True), trigger="test", requested_by="t"
    )
    return await training.execute_run(database, settings, created.id)


async def test_a_run_registers_the_version_it_uploaded(
    database: TransactionalDatabase, settings: Settings, server: S3Server
) -> None:
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    settings = settings.model_copy(update=server.settings_update(url))
    finished = await _run(database, settings)
    assert finished.status is RunStatus.succeeded, finished.error
    async with database.session() as session:
        champion = await registry.champion_version(session, settings.model_name)
    assert champion is not None
    assert champion.artifact_uri == f"{url}/versions/{settings.model_name}/1/manifest.json"
    # Another process (a worker with an empty cache) loads exactly what was registered.
    worker = settings.model_copy(update={"artifact_cache_dir": settings.artifact_cache_dir / "w"})
    classifier = TicketClassifier.load(
        open_artifact_store(worker),
        settings.model_name,
        champion.version,
        expected_manifest_sha256=champion.sha256,
    )
    assert classifier.version == 1


async def test_an_unreachable_store_fails_the_run_and_registers_nothing(
    database: TransactionalDatabase, settings: Settings, server: S3Server
) -> None:
    update = server.settings_update(f"s3://{BUCKET}/unreachable")
    update |= {
        "artifact_s3_endpoint_url": f"http://127.0.0.1:{free_port()}",
        "artifact_s3_max_retries": 0,
        "artifact_s3_timeout_s": 2.0,
    }
    failed = await _run(database, settings.model_copy(update=update))
    assert failed.status is RunStatus.failed
    assert failed.error is not None
    assert failed.error["kind"] == "artifact_store"
    assert "could not" in failed.error["detail"]
    async with database.session() as session:
        assert await registry.champion_version(session, settings.model_name) is None
        # The version number was never taken: the next run gets 1 again.
        assert await registry.reserve_version_number(session, settings.model_name) == 1


async def test_a_version_built_by_ci_is_registered_by_its_digest_or_refused(
    database: TransactionalDatabase, settings: Settings, server: S3Server, model_cache: ModelCache
) -> None:
    url = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    settings = settings.model_copy(update=server.settings_update(url))
    artifact = model_cache.artifact()
    uploaded = open_artifact_store(settings).save(artifact.manifest, artifact.files)  # CI's upload
    name = artifact.manifest.name
    with pytest.raises(ConflictError, match="differs from the recorded"):
        await model_transfer.register_stored(
            database, settings, uploaded.uri, "0" * 64, actor="ci", promote=True
        )
    async with database.session() as session:
        assert await registry.champion_version(session, name) is None
    with pytest.raises(UnprocessableError, match="not a manifest of the configured store"):
        await model_transfer.register_stored(
            database,
            settings,
            "s3://elsewhere/x/manifest.json",
            uploaded.manifest_sha256,
            actor="ci",
        )
    row = await model_transfer.register_stored(
        database, settings, uploaded.uri, uploaded.manifest_sha256, actor="ci", promote=True
    )
    assert (row.version, row.artifact_uri) == (artifact.manifest.version, uploaded.uri)
    async with database.session() as session:
        champion = await registry.champion_version(session, name)
    assert champion is not None
    assert champion.sha256 == uploaded.manifest_sha256


async def test_a_run_skips_numbers_that_ci_uploads_hold_in_the_store(
    database: TransactionalDatabase, settings: Settings, server: S3Server, model_cache: ModelCache
) -> None:
    settings = settings.model_copy(
        update=server.settings_update(f"s3://{BUCKET}/{uuid.uuid4().hex}")
    )
    artifact = model_cache.artifact()
    uploaded = artifact.manifest.model_copy(update={"version": 3})
    open_artifact_store(settings).save(uploaded, artifact.files)  # by CI, not registered
    finished = await _run(database, settings)
    assert finished.status is RunStatus.succeeded, finished.error
    _, version = await training.describe_run(database, finished.id)
    assert version == 4
