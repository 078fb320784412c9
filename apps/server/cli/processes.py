"""Running the service's processes: the API under uvicorn, migrations, a worker, beat."""

import contextlib
import os
import shutil
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from server.config import SERVER_DIR, Settings


def _prepare_multiprocess_metrics(directory: Path) -> None:
    """Give prometheus-client a fresh shared directory before any child process starts.

    The API (several uvicorn workers) and a Celery worker (a prefork pool) each get their
    own subdirectory, so processes of one machine never mix their samples.
    """
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    # prometheus-client reads this variable itself, in every worker, at import time.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def uvicorn_options(settings: Settings, reload: bool = False) -> dict[str, Any]:
    """Keyword arguments of `uvicorn.run` for the API (tests build servers from them too)."""
    from server.core.http_protocol import uvicorn_http_protocol

    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": None if reload else settings.workers,
        "reload": reload,
        "reload_dirs": [str(SERVER_DIR)] if reload else None,
        # X-Forwarded-For/-Proto only from the listed proxies; the client is the right-most
        # address that is not one of them. None listed: the peer is the client.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        # The request head is bounded while it is read (431 past it), not after.
        "http": uvicorn_http_protocol(settings.max_header_bytes, settings.max_headers),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_graceful_shutdown": settings.graceful_shutdown_s,
        "log_config": None,  # our structlog configuration owns the loggers
        "access_log": False,  # replaced by the `http.request` event
    }


def run_api(settings: Settings, reload: bool = False) -> None:
    import uvicorn

    if settings.workers > 1:
        _prepare_multiprocess_metrics(settings.metrics_multiproc_dir / "api")
        if settings.shutdown_drain_s > 0 and not reload:
            _run_draining_workers(settings)
            return
    uvicorn.run("server.main:create_app", **uvicorn_options(settings, reload))


def _run_draining_workers(settings: Settings) -> None:
    """`uvicorn.run` with several workers, except that SIGTERM reaches every worker at once.

    Each worker drains on SIGTERM (`core/lifecycle.py`: readiness 503 at once, serving on for
    `shutdown_drain_s`). uvicorn's supervisor, which alone gets the orchestrator's SIGTERM,
    notices it only at its next check (every 0.5 s, after pinging each worker: seconds on a
    busy node) before it signals the workers; this forwards the signal immediately.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("server.main:create_app", **uvicorn_options(settings))
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor_handler = signal.getsignal(signal.SIGTERM)  # queues it for the supervisor

    def drain_workers_now(signum: int, frame: FrameType | None) -> None:
        for process in supervisor.processes:
            if process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        if callable(supervisor_handler):
            supervisor_handler(signum, frame)

    signal.signal(signal.SIGTERM, drain_workers_now)
    supervisor.run()


async def _database_is_newer(settings: Settings) -> bool:
    from server.database.schema import current_revisions, is_newer_than_code
    from server.database.session import Database

    async with Database.connect(settings) as database:
        return is_newer_than_code(await current_revisions(database))


def run_migrations(settings: Settings, revision: str = "head") -> None:
    """Upgrade to `revision`. A database already migrated by a newer version (a rollback of
    the application: expand-then-contract keeps it compatible) is left as it is, instead of
    failing on a revision this code does not know."""
    import asyncio

    import structlog
    from alembic import command
    from alembic.config import Config

    if revision == "head" and asyncio.run(_database_is_newer(settings)):
        structlog.get_logger(__name__).warning("migrate.newer_schema_kept")
        return
    config = Config(str(SERVER_DIR / "alembic.ini"))
    config.attributes["settings"] = settings
    command.upgrade(config, revision)


def _limit_math_threads(threads: int) -> None:
    """Cap BLAS/OpenMP threads before numpy loads: each pool process gets its CPU share, and
    oversubscribed threads make training several times slower (measured)."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, str(threads))


def run_worker(settings: Settings, queues: str, pool: str, concurrency: int | None) -> None:
    _limit_math_threads(settings.worker_math_threads)
    _prepare_multiprocess_metrics(settings.metrics_multiproc_dir / "worker")
    from server.worker.celery_worker import celery

    argv = ["worker", "--queues", queues, "--pool", pool, "--loglevel", settings.log_level]
    argv += ["--concurrency", str(concurrency or settings.worker_concurrency)]
    argv += ["--hostname", f"{queues.split(',', maxsplit=1)[0]}@%h"]
    celery.worker_main(argv)


def run_beat(settings: Settings) -> None:
    from server.worker.celery_worker import celery

    schedule = str(settings.beat_schedule_path)
    celery.start(["beat", "--loglevel", settings.log_level, "--schedule", schedule])
