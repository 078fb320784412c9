"""`python -m server train`: a training run in this process, with a progress bar."""

import argparse
import asyncio
import sys

from server.config import Settings
from server.core.logging import configure_logging
from server.database.registry_models import RunStatus
from server.database.schema import wait_for_schema
from server.database.session import Database
from server.services import registry, training


def _bar(fraction: float, stage: str) -> None:
    filled = int(fraction * 30)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:6.1%} {stage:<24}")
    sys.stderr.flush()


async def train_from_cli(settings: Settings, args: argparse.Namespace) -> int:
    """Exit code 0 when a version was registered (or nothing was needed), 1 otherwise."""
    configure_logging(settings)
    async with Database.connect(settings) as database:
        await wait_for_schema(database, settings.schema_wait_s)
        if args.if_no_champion:
            async with database.session() as session:
                champion = await registry.champion_version(session, settings.model_name)
            if champion is not None:
                sys.stdout.write(f"champion is version {champion.version}; nothing to do\n")
                return 0
        params = training.RunParams(
            data_path=str(args.data) if args.data else None,
            rows=args.rows,
            seed=args.seed,
            drift_strength=args.drift,
            label_noise=args.label_noise,
            promote=args.promote,
        )
        run = await training.create_run(
            database, settings, params, trigger="cli", requested_by="cli"
        )
        finished = await training.execute_run(database, settings, run.id, on_progress=_bar)
        sys.stderr.write("\n")
        for gate in finished.gate_results:
            mark = "pass" if gate["passed"] else "FAIL"
            sys.stdout.write(f"  {mark}  {gate['name']}: {gate['message']}\n")
        if finished.status is RunStatus.succeeded:
            _, version = await training.describe_run(database, run.id)
            promoted = " and promoted to champion" if args.promote else ""
            sys.stdout.write(f"registered version {version}{promoted} (run {run.id})\n")
            return 0
        sys.stdout.write(f"run {run.id} failed: {finished.error}\n")
        return 1


def run_train(settings: Settings, args: argparse.Namespace) -> int:
    """The `train` command: its exit code."""
    return asyncio.run(train_from_cli(settings, args))
