"""Command line of the service: one image runs the API, migrations and (later) workers.

python -m server api        # uvicorn with APP_WORKERS processes
python -m server migrate    # alembic upgrade head
"""

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from server.config import Settings

SERVER_DIR = Path(__file__).resolve().parent


def _prepare_multiprocess_metrics(directory: Path) -> None:
    """Give prometheus-client a fresh shared directory before any child process starts.

    The API (several uvicorn workers) and a Celery worker (a prefork pool) each get their
    own subdirectory, so processes of one machine never mix their samples.
    """
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    # prometheus-client reads this variable itself, in every worker, at import time.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def run_api(settings: Settings, reload: bool = False) -> None:
    import uvicorn

    if settings.workers > 1:
        _prepare_multiprocess_metrics(settings.metrics_multiproc_dir / "api")
    uvicorn.run(
        "server.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=None if reload else settings.workers,
        reload=reload,
        reload_dirs=[str(SERVER_DIR)] if reload else None,
        proxy_headers=True,
        forwarded_allow_ips="*" if settings.env == "production" else "127.0.0.1",
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        log_config=None,  # our structlog configuration owns the loggers
        access_log=False,  # replaced by the `http.request` event
    )


def run_migrations(settings: Settings, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

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


def run_train(settings: Settings, args: argparse.Namespace) -> int:
    """Train in this process (no worker needed) and register the result."""
    import asyncio

    from server.cli_training import train_from_cli

    return asyncio.run(train_from_cli(settings, args))


def run_create_user(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from server.cli_users import create_user_from_cli

    return asyncio.run(create_user_from_cli(settings, args))


def write_openapi(output: Path) -> None:
    from server.main import create_app

    schema = create_app(Settings(_env_file=None)).openapi()
    output.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def update_settings_table(readme: Path) -> None:
    """Regenerate the README's tables: settings, and routes with their scopes."""
    from server.core.scopes_table import SCOPES_END, SCOPES_START, render_scopes_table
    from server.core.settings_table import replace_between, replace_settings_table
    from server.main import create_app

    text = replace_settings_table(readme.read_text())
    if SCOPES_START in text:
        scopes = render_scopes_table(create_app(Settings(_env_file=None)).openapi())
        text = replace_between(text, SCOPES_START, SCOPES_END, scopes)
    readme.write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    commands.add_parser("migrate", help="upgrade the database to the latest migration")
    worker = commands.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--queues", default="inference,shadow", help="comma-separated queues")
    worker.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    worker.add_argument("--concurrency", type=int, default=None)
    commands.add_parser("beat", help="run the Celery beat scheduler")
    commands.add_parser("dev", help="API, worker and beat together (make dev)")
    train = commands.add_parser("train", help="train, gate and register a model version")
    train.add_argument("--data", type=Path, help="CSV or JSONL with text,label[,segment]")
    train.add_argument("--rows", type=int, help="generated tickets when no --data")
    train.add_argument("--seed", type=int)
    train.add_argument("--drift", type=float, default=0.0, help="drift strength 0-1")
    train.add_argument("--label-noise", type=float, default=0.0, help="extra mislabelled share")
    train.add_argument("--promote", action="store_true", help="make a passing version champion")
    train.add_argument(
        "--if-no-champion", action="store_true", help="do nothing when a champion exists"
    )
    user = commands.add_parser("create-user", help="create a user (password: prompt or env)")
    user.add_argument("--email", required=True)
    user.add_argument("--superuser", action="store_true", help="every scope, users:admin too")
    user.add_argument("--scopes", default="predict,jobs,models:read", help="comma-separated")
    user.add_argument("--if-no-users", action="store_true", help="do nothing when users exist")
    user.add_argument(
        "--generate-password", action="store_true", help="generate one and print it once"
    )
    openapi = commands.add_parser("openapi", help="write the OpenAPI schema as JSON")
    openapi.add_argument("--output", type=Path, required=True)
    table = commands.add_parser(
        "settings-table", help="regenerate the README tables (settings, scopes)"
    )
    table.add_argument("--update", type=Path, required=True, metavar="README")
    args = parser.parse_args(argv)

    if args.command == "openapi":
        write_openapi(args.output)
    elif args.command == "settings-table":
        update_settings_table(args.update)
    elif args.command == "api":
        run_api(Settings(), reload=args.reload)
    elif args.command == "migrate":
        run_migrations(Settings())
    elif args.command == "worker":
        run_worker(Settings(), args.queues, args.pool, args.concurrency)
    elif args.command == "beat":
        run_beat(Settings())
    elif args.command == "dev":
        from server.dev import run_dev

        return run_dev()
    elif args.command == "train":
        return run_train(Settings(), args)
    elif args.command == "create-user":
        return run_create_user(Settings(), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
