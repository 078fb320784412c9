"""Command line of the training pipeline, with no database.

    python -m server.agents.pipeline train [--data FILE] [--rows N] [--version N]
    python -m server.agents.pipeline generate --out FILE [--rows N] [--drift S]

`train` stores a new version in the artifact store of `Settings` (`artifact_store_url`) and
prints the result as JSON; registering and promoting it is the job of the services layer.
Exit status: 0 when every gate passed, 1 when a gate failed, 2 when the data was refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from server.agents.artifacts.factory import open_artifact_store
from server.agents.artifacts.lineage import build_provenance
from server.agents.classifier import TicketClassifier
from server.agents.data.dataset import TicketDataset
from server.agents.data.generator import generate_tickets
from server.agents.data.ingest import detect_format, dump_tickets, load_tickets
from server.agents.data.shift import DriftSpec
from server.agents.errors import DataValidationError
from server.agents.pipeline.run import RunConfig, run_training
from server.config import SERVER_DIR, Settings

_BAR_WIDTH = 30


def _progress_bar(fraction: float, stage: str) -> None:
    filled = round(fraction * _BAR_WIDTH)
    bar = "#" * filled + "." * (_BAR_WIDTH - filled)
    sys.stderr.write(f"\r[{bar}] {fraction * 100:5.1f}% {stage:<12}")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server.agents.pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train, package and gate a new version")
    train.add_argument("--data", type=Path, help="CSV or JSONL with text,label[,segment]")
    train.add_argument("--rows", type=int, default=5000, help="generated rows without --data")
    train.add_argument("--drift", type=float, default=0.0, help="drift of generated data")
    train.add_argument("--version", type=int, help="version to create (default: next)")
    train.add_argument("--champion", type=int, help="stored version to compare with")
    train.add_argument(
        "--git-commit", help="commit recorded when not run from a git checkout (APP_GIT_COMMIT)"
    )
    generate = commands.add_parser("generate", help="write a generated dataset")
    generate.add_argument("--out", type=Path, required=True, help=".csv or .jsonl file")
    generate.add_argument("--rows", type=int, default=5000)
    generate.add_argument("--seed", type=int, default=None, help="default: APP_TRAINING__SEED")
    generate.add_argument("--drift", type=float, default=0.0, help="drift strength 0..1")
    generate.add_argument("--label-noise", type=float, default=0.0, help="extra label noise")
    return parser


def _train(args: argparse.Namespace, settings: Settings) -> int:
    config = RunConfig.from_settings(settings)
    tc = config.training
    store = open_artifact_store(settings)
    data: TicketDataset
    if args.data is not None:
        data = load_tickets(
            args.data,
            labels=config.labels,
            min_rows_per_class=tc.min_rows_per_class,
            max_issues=tc.max_reported_issues,
        )
        source = args.data.name
    else:
        data = generate_tickets(args.rows, tc.seed, drift=DriftSpec(args.drift))
        source = f"generated(rows={args.rows}, seed={tc.seed}, drift={args.drift})"
    version = args.version or max(store.versions(config.model_name), default=0) + 1
    champion = (
        TicketClassifier.load(store, config.model_name, args.champion)
        if args.champion is not None
        else None
    )
    result = run_training(
        config,
        data,
        store,
        version=version,
        champion=champion,
        on_progress=_progress_bar,
        provenance=build_provenance(
            SERVER_DIR, args.git_commit or settings.git_commit, settings.dependency_lock_file
        ),
        data_source=source,
    )
    sys.stdout.write(result.model_dump_json(indent=2, exclude={"manifest"}) + "\n")
    return 0 if result.passed else 1


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    settings = settings or Settings()
    if args.command == "generate":
        seed = settings.training.seed if args.seed is None else args.seed
        drift = DriftSpec(args.drift, extra_label_noise=args.label_noise)
        dataset = generate_tickets(args.rows, seed, drift=drift)
        args.out.write_text(dump_tickets(dataset, detect_format(args.out.name)), "utf-8")
        sys.stdout.write(f"{len(dataset)} tickets written to {args.out}\n")
        return 0
    try:
        return _train(args, settings)
    except DataValidationError as error:
        sys.stdout.write(error.report.model_dump_json(indent=2) + "\n")
        return 2


if __name__ == "__main__":
    # stdout carries the result JSON; log events go to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    raise SystemExit(main())
