"""Training runs: recorded by the API, executed by a worker, registered when they pass.

A run trains the next version number, judges it with every gate, and registers it as a
candidate (promoting it to champion when asked). A run that fails a gate or whose data is
refused is stored as failed with the reason, and its artifact is removed, so the version
number is reused by the next run and nothing half-registered remains.
"""

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from celery import Celery

from server.agents.artifacts.factory import open_artifact_store
from server.agents.artifacts.lineage import build_provenance
from server.agents.artifacts.store import ArtifactStore
from server.agents.classifier import TicketClassifier
from server.agents.data.dataset import TicketDataset
from server.agents.data.generator import generate_tickets
from server.agents.data.ingest import load_tickets
from server.agents.data.shift import DriftSpec
from server.agents.errors import (
    ArtifactError,
    ArtifactStoreUnavailableError,
    DataValidationError,
)
from server.agents.training.progress import ProgressCallback
from server.config import SERVER_DIR, Settings
from server.core.errors import NotFoundError, ServiceUnavailableError
from server.database import registry_repository, training_repository
from server.database.base import utcnow
from server.database.registry_models import ModelVersion, RunStatus, TrainingRun
from server.database.session import Database
from server.schemas.training import TrainingRunCreate, TrainingRunOut
from server.services import registry, traffic
from server.taskqueue.payloads import TrainPayload
from server.taskqueue.publisher import publish

if TYPE_CHECKING:  # the pipeline imports scikit-learn: only workers and the CLI run it
    from server.agents.pipeline.run import TrainingResult

log = structlog.get_logger(__name__)

PROGRESS_STEP = 0.02  # write progress at most every 2 points, not on every callback


@dataclass(frozen=True)
class RunParams:
    """What to train on and what to do with a passing version."""

    data_path: str | None = None
    rows: int | None = None
    seed: int | None = None
    drift_strength: float = 0.0
    label_noise: float = 0.0
    promote: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


async def create_run(
    database: Database,
    settings: Settings,
    params: RunParams,
    *,
    trigger: str,
    requested_by: str,
    reason: str | None = None,
) -> TrainingRun:
    """Record a queued run; the caller enqueues it. `reason` says why a monitoring trigger
    started it."""
    async with database.session() as session:
        run = TrainingRun(
            model_name=settings.model_name,
            status=RunStatus.queued,
            progress=0.0,
            stage="queued",
            trigger=trigger,
            reason=reason,
            params=params.as_dict(),
            gate_results=[],
            requested_by=requested_by,
        )
        training_repository.add_run(session, run)
        await session.commit()
        return run


async def start_run(
    database: Database,
    settings: Settings,
    celery: Celery,
    params: RunParams,
    *,
    requested_by: str,
    request_id: str | None = None,
    trigger: str = "api",
    reason: str | None = None,
) -> TrainingRun:
    """Record the run, then enqueue it; if the queue is down the run is failed, not lost."""
    run = await create_run(
        database, settings, params, trigger=trigger, requested_by=requested_by, reason=reason
    )
    try:
        await publish(
            celery,
            TrainPayload(run_id=run.id, trigger=trigger),
            headers={"request_id": request_id or "", "user_id": requested_by},
        )
    except ServiceUnavailableError:
        await fail_run(database, run.id, {"kind": "queue", "detail": "the queue was unreachable"})
        raise
    return run


async def describe_run(database: Database, run_id: uuid.UUID) -> tuple[TrainingRun, int | None]:
    """A run and the version number it registered, if any."""
    async with database.session() as session:
        run = await training_repository.get_run(session, run_id)
        if run is None:
            raise NotFoundError(f"There is no training run {run_id}.")
        version = None
        if run.version_id is not None:
            version = (
                await registry_repository.load_version_by_id(session, run.version_id)
            ).version
        return run, version


async def run_out(database: Database, run_id: uuid.UUID) -> TrainingRunOut:
    """A run as the API shows it: status, progress, gates and the version it registered."""
    run, version = await describe_run(database, run_id)
    return TrainingRunOut.model_validate(run).model_copy(update={"version": version})


async def submit_run(
    database: Database,
    settings: Settings,
    celery: Celery,
    body: TrainingRunCreate,
    *,
    requested_by: str,
    request_id: str | None,
) -> TrainingRunOut:
    """Start a run asked for through the API, and answer with its first state."""
    run = await start_run(
        database,
        settings,
        celery,
        RunParams(**body.model_dump()),
        requested_by=requested_by,
        request_id=request_id,
    )
    return await run_out(database, run.id)


async def get_run(database: Database, run_id: uuid.UUID) -> TrainingRun:
    async with database.session() as session:
        run = await training_repository.get_run(session, run_id)
        if run is None:
            raise NotFoundError(f"There is no training run {run_id}.")
        return run


async def fail_run(database: Database, run_id: uuid.UUID, error: dict[str, Any]) -> None:
    async with database.session() as session:
        run = await training_repository.load_run(session, run_id)
        run.status, run.stage, run.error, run.finished_at = (
            RunStatus.failed,
            "failed",
            error,
            utcnow(),
        )
        await session.commit()


def load_data(settings: Settings, params: RunParams) -> TicketDataset:
    """The run's data: a user's CSV/JSONL file, or tickets from the seeded generator."""
    if params.data_path:
        return load_tickets(
            Path(params.data_path),
            labels=settings.model_labels,
            min_rows_per_class=settings.training.min_rows_per_class,
            max_issues=settings.training.max_reported_issues,
        )
    drift = DriftSpec(strength=params.drift_strength, extra_label_noise=params.label_noise)
    rows = params.rows or settings.train_default_rows
    return generate_tickets(
        rows, params.seed if params.seed is not None else settings.training.seed, drift=drift
    )


def _generated_source(settings: Settings, params: RunParams) -> str:
    """How generated data was made, so that its lineage can be reproduced."""
    rows = params.rows or settings.train_default_rows
    seed = params.seed if params.seed is not None else settings.training.seed
    return (
        f"generated(rows={rows}, seed={seed}, drift={params.drift_strength}, "
        f"label_noise={params.label_noise})"
    )


def _load_champion(
    store: ArtifactStore, settings: Settings, champion: ModelVersion | None
) -> TicketClassifier | None:
    if champion is None:
        return None
    try:
        return TicketClassifier.load(
            store,
            settings.model_name,
            champion.version,
            expected_manifest_sha256=champion.sha256,
        )
    except ArtifactError as exc:
        # A broken champion must not block training its replacement; the run is judged
        # without the champion gate and says so in the log.
        log.warning("training.champion_unloadable", model_version=champion.version, error=str(exc))
        return None


class _ProgressWriter:
    """Forwards progress from the training thread to the database, throttled."""

    def __init__(
        self, database: Database, run_id: uuid.UUID, also: ProgressCallback | None
    ) -> None:
        self.database, self.run_id, self.also = database, run_id, also
        self.loop = asyncio.get_running_loop()
        self.last = -1.0

    def __call__(self, fraction: float, stage: str) -> None:
        if self.also is not None:
            self.also(fraction, stage)
        if fraction - self.last < PROGRESS_STEP and fraction < 1.0:
            return
        self.last = fraction
        asyncio.run_coroutine_threadsafe(self._write(fraction, stage), self.loop).result()

    async def _write(self, fraction: float, stage: str) -> None:
        async with self.database.session() as session:
            run = await training_repository.load_run(session, self.run_id)
            run.progress, run.stage = round(fraction, 4), stage
            await session.commit()


async def _record_result(
    database: Database, run_id: uuid.UUID, result: "TrainingResult", params: RunParams
) -> None:
    async with database.session() as session:
        run = await training_repository.load_run(session, run_id)
        run.gate_results = [gate.model_dump(mode="json") for gate in result.gates]
        if result.passed:
            version = await registry.register_version(
                session,
                model_name=result.name,
                version=result.version,
                artifact_uri=result.artifact_uri,
                sha256=result.manifest_sha256,
                metrics=result.metrics.model_dump(mode="json", exclude={"per_class"}),
                manifest=result.manifest.model_dump(mode="json"),
                created_by=run.requested_by,
            )
            if params.promote:
                await registry.set_alias(
                    session,
                    result.name,
                    registry.CHAMPION,
                    result.version,
                    actor=run.requested_by,
                    reason=f"training run {run_id} passed every gate",
                )
            run.version_id, run.status = version.id, RunStatus.succeeded
        else:
            run.status = RunStatus.failed
            run.error = {
                "kind": "gates",
                "detail": "; ".join(gate.message for gate in result.failed_gates),
                "failed_gates": [gate.name for gate in result.failed_gates],
            }
        run.progress, run.stage, run.finished_at = 1.0, run.status.value, utcnow()
        await session.commit()


def _gave_up(attempts: int) -> str:
    return f"the worker died during each of {attempts - 1} attempts; not retrying"


async def execute_run(
    database: Database,
    settings: Settings,
    run_id: uuid.UUID,
    *,
    on_progress: ProgressCallback | None = None,
) -> TrainingRun:
    """Train, judge and register. Safe to call again for a run that already finished."""
    async with database.session() as session:
        run = await training_repository.get_run(session, run_id)
        if run is None:
            raise NotFoundError(f"There is no training run {run_id}.")
        if run.status in (RunStatus.succeeded, RunStatus.failed):
            return run  # a redelivered task: the work is done
        run.attempts += 1
        if run.attempts > settings.training_max_attempts:
            await session.commit()
            await fail_run(database, run_id, {"kind": "crashed", "detail": _gave_up(run.attempts)})
            return await get_run(database, run_id)
        params = RunParams(**run.params)
        run.status, run.stage, run.started_at = RunStatus.running, "starting", utcnow()
        await session.commit()
        champion = await registry.champion_version(session, settings.model_name)
        version = await registry.reserve_version_number(session, settings.model_name)

    # Imported here: the API records runs through this module and never trains, and the
    # pipeline brings scikit-learn (over a second of every API start).
    from server.agents.pipeline.run import RunConfig, run_training  # noqa: PLC0415

    store = open_artifact_store(settings)
    log.info("training.run_started", run_id=str(run_id), model_version=version)
    try:
        # Versions uploaded by CI but not (yet) registered hold their numbers in the store.
        stored = await asyncio.to_thread(store.versions, settings.model_name)
        version = max(version, max(stored, default=0) + 1)
        data = await asyncio.to_thread(load_data, settings, params)
        result = await asyncio.to_thread(
            run_training,
            RunConfig.from_settings(settings),
            data,
            store,
            version=version,
            champion=_load_champion(store, settings, champion),
            on_progress=_ProgressWriter(database, run_id, on_progress),
            provenance=build_provenance(
                SERVER_DIR, settings.git_commit, settings.dependency_lock_file
            ),
            data_source=params.data_path or _generated_source(settings, params),
        )
    except DataValidationError as exc:
        await fail_run(
            database, run_id, {"kind": "data", "report": exc.report.model_dump(mode="json")}
        )
        log.warning("training.run_refused_data", run_id=str(run_id))
        return await get_run(database, run_id)
    except ArtifactStoreUnavailableError as exc:
        # Nothing was registered: a version exists once its manifest is written, last.
        await fail_run(database, run_id, {"kind": "artifact_store", "detail": str(exc)})
        log.warning("training.artifact_store_unavailable", run_id=str(run_id), error=str(exc))
        return await get_run(database, run_id)
    except Exception as exc:
        # Never leave a run `running` forever: record the failure, then let the task fail.
        await fail_run(database, run_id, {"kind": "internal", "detail": type(exc).__name__})
        log.exception("training.run_crashed", run_id=str(run_id))
        raise

    if not result.passed:
        store.delete(result.name, result.version)
    await _record_result(database, run_id, result, params)
    if result.passed and params.promote:
        await traffic.announce_plan_change(settings, result.name)
    log.info(
        "training.run_finished", run_id=str(run_id), passed=result.passed, model_version=version
    )
    return await get_run(database, run_id)
