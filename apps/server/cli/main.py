"""The command line of the service (`python -m server COMMAND`): one image runs the API,
migrations, workers, beat, training and the generators of its documents.

Each command imports what it needs when it runs, so `python -m server worker` never loads
the API and `python -m server api` never loads Celery's task modules.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from server.config import Settings
from server.config.refusal import describe_settings_error


def load_settings() -> Settings:
    """The settings, or exit 2 naming each refused setting and why, never its value (no
    traceback: pydantic's would quote the inputs, secrets included)."""
    try:
        return Settings()
    except ValidationError as error:
        lines = ["refusing to start; the settings are invalid:", *describe_settings_error(error)]
        sys.stderr.write("\n  ".join(lines) + "\n")
        raise SystemExit(2) from None


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    commands.add_parser("migrate", help="upgrade the database to the latest migration")
    worker = commands.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--queues", default="inference,shadow", help="comma-separated queues")
    worker.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    worker.add_argument("--concurrency", type=int, default=None)
    commands.add_parser("beat", help="run the Celery beat scheduler")
    dev = commands.add_parser("dev", help="API, worker and beat together (make dev)")
    dev.add_argument(
        "--bootstrap",
        action="store_true",
        help="first, in this process: migrate, train a champion if none, create an admin if "
        "no user exists",
    )
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
    from server.cli.models import add_parser as add_models_parser

    add_models_parser(commands)
    from server.cli.prompts import add_parser as add_prompts_parser

    add_prompts_parser(commands)
    commands.add_parser(
        "seed-articles", help="add the generated knowledge-base articles that are missing"
    )
    openapi = commands.add_parser("openapi", help="write the OpenAPI schema as JSON")
    openapi.add_argument("--output", type=Path, required=True)
    table = commands.add_parser(
        "settings-table", help="regenerate the README tables (settings, scopes)"
    )
    table.add_argument("--update", type=Path, required=True, metavar="README")
    return parser


def _train(settings: Settings, args: argparse.Namespace) -> int:
    from server.cli.training import run_train

    return run_train(settings, args)


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from server.cli.models import run_models

    return run_models(settings, args)


def _prompts(settings: Settings, args: argparse.Namespace) -> int:
    from server.cli.prompts import run_prompts

    return run_prompts(settings, args)


def _seed_articles(settings: Settings, _args: argparse.Namespace) -> int:
    from server.cli.articles import run_seed_articles

    return run_seed_articles(settings)


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from server.cli.users import run_create_user

    return run_create_user(settings, args)


# Commands that run to completion with the settings; each imports what it needs when run.
_TOOLS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "train": _train,
    "models": _models,
    "prompts": _prompts,
    "eval": _prompts,
    "seed-articles": _seed_articles,
    "create-user": _create_user,
}


def run_command(args: argparse.Namespace) -> int:
    """Run one parsed command; its exit code."""
    if args.command in {"openapi", "settings-table"}:
        from server.cli import docs

        if args.command == "openapi":
            docs.write_openapi(args.output)
        else:
            docs.update_settings_table(args.update)
        return 0
    if args.command == "dev":
        from server.cli.dev import run_dev

        return run_dev(bootstrap=args.bootstrap)
    settings = load_settings()
    tool = _TOOLS.get(args.command)
    if tool is not None:
        return tool(settings, args)
    from server.cli import processes

    if args.command == "api":
        processes.run_api(settings, reload=args.reload)
    elif args.command == "migrate":
        processes.run_migrations(settings)
    elif args.command == "worker":
        processes.run_worker(settings, args.queues, args.pool, args.concurrency)
    elif args.command == "beat":
        processes.run_beat(settings)
    return 0
