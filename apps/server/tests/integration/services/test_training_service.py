"""Training runs executed in-process: registration, gates, refused data, redelivery."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from server.agents.artifacts.manifest import sha256_hex
from server.agents.data.generator import generate_tickets
from server.agents.data.ingest import dump_tickets
from server.config import SERVER_DIR, Settings
from server.core.errors import NotFoundError
from server.database.models import RunStatus, TrainingRun
from server.services import registry, training
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase

ROWS = 3000


def _head() -> str:
    git = shutil.which("git")
    assert git is not None, "the tests run from a git checkout"
    done = subprocess.run(  # noqa: S603 - the test's own git call
        [git, "-C", str(SERVER_DIR), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def settings(test_database: ProvisionedDatabase, tmp_path: Path) -> Settings:
    return test_database.settings.model_copy(
        update={"artifact_root": tmp_path / "artifacts", "train_default_rows": ROWS}
    )


@pytest.fixture
def database(db_connection: AsyncConnection) -> TransactionalDatabase:
    return TransactionalDatabase(db_connection)


async def run(
    database: TransactionalDatabase, settings: Settings, params: training.RunParams
) -> TrainingRun:
    created = await training.create_run(
        database, settings, params, trigger="test", requested_by="pytest"
    )
    return await training.execute_run(database, settings, created.id)


async def test_a_passing_run_is_registered_and_promoted(
    database: TransactionalDatabase, settings: Settings
) -> None:
    created = await training.create_run(
        database, settings, training.RunParams(promote=True, seed=3), trigger="t", requested_by="me"
    )
    seen: list[float] = []
    finished = await training.execute_run(
        database, settings, created.id, on_progress=lambda f, _stage: seen.append(f)
    )
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert finished.status is RunStatus.succeeded
    assert finished.progress == 1.0
    assert finished.finished_at is not None
    run_row, version = await training.describe_run(database, finished.id)
    assert version == 1
    assert run_row.params == {"seed": 3, "drift_strength": 0.0, "label_noise": 0.0, "promote": True}
    async with database.session() as session:
        champion = await registry.champion_version(session, settings.model_name)
    assert champion is not None
    assert champion.version == 1
    lineage = champion.manifest["lineage"]
    # Run from this repository's checkout: the commit is its HEAD, whatever the image says.
    assert lineage["code"]["commit"] == _head()
    assert lineage["code"]["source"] == "checkout"
    assert lineage["dependency_lock_sha256"] == sha256_hex(
        settings.dependency_lock_file.read_bytes()
    )
    assert lineage["seed"] == settings.training.seed
    assert champion.manifest["training_data"]["source"] == (
        f"generated(rows={ROWS}, seed=3, drift=0.0, label_noise=0.0)"
    )
    assert (settings.artifact_root / settings.model_name / "1" / "manifest.json").is_file()


async def test_a_failing_run_registers_nothing_and_frees_its_version(
    database: TransactionalDatabase, settings: Settings
) -> None:
    await run(database, settings, training.RunParams(promote=True))
    failed = await run(database, settings, training.RunParams(label_noise=0.5))
    assert failed.status is RunStatus.failed
    assert failed.error is not None
    assert "champion" in failed.error["failed_gates"]
    assert not (settings.artifact_root / settings.model_name / "2").exists()
    async with database.session() as session:
        assert await registry.reserve_version_number(session, settings.model_name) == 2


async def test_refused_data_is_reported_with_row_numbers(
    database: TransactionalDatabase, settings: Settings, tmp_path: Path
) -> None:
    data = dump_tickets(generate_tickets(400, seed=1), "csv").splitlines()
    data[3] = ",billing,en-US,web_form,free"  # an empty text on line 4 (line 1: the header)
    data[5] = "my horoscope is wrong,astrology,en-US,web_form,free"  # an unknown label, line 6
    path = tmp_path / "tickets.csv"
    path.write_text("\n".join(data) + "\n")

    failed = await run(database, settings, training.RunParams(data_path=str(path)))
    assert failed.status is RunStatus.failed
    assert failed.error is not None
    assert failed.error["kind"] == "data"
    rows = {issue["row"] for issue in failed.error["report"]["issues"]}
    assert {4, 6} <= rows


async def test_a_redelivered_finished_run_is_not_trained_again(
    database: TransactionalDatabase, settings: Settings
) -> None:
    finished = await run(database, settings, training.RunParams())
    again = await training.execute_run(database, settings, finished.id)
    assert again.attempts == finished.attempts == 1


async def test_a_run_that_keeps_killing_its_worker_is_given_up(
    database: TransactionalDatabase, settings: Settings
) -> None:
    created = await training.create_run(
        database, settings, training.RunParams(), trigger="test", requested_by="pytest"
    )
    async with database.session() as session:
        row = await session.get_one(TrainingRun, created.id)
        row.status, row.attempts = RunStatus.running, settings.training_max_attempts
        await session.commit()
    gave_up = await training.execute_run(database, settings, created.id)
    assert gave_up.status is RunStatus.failed
    assert gave_up.error is not None
    assert gave_up.error["kind"] == "crashed"


async def test_an_unknown_run_is_not_found(
    database: TransactionalDatabase, settings: Settings
) -> None:
    with pytest.raises(NotFoundError):
        await training.execute_run(database, settings, uuid.uuid4())
