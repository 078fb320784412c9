"""`python -m server models ...`: move built versions between environments.

models export NAME VERSION [--out FILE]        a bundle (manifest, files, model card)
models import FILE [--as-version N] [--promote] register a bundle, lineage intact
models register MANIFEST_URL --sha256 DIGEST [--promote]
                                               register a version CI uploaded to the
                                               store, refused unless its digest matches
"""

import argparse
import asyncio
import sys
from pathlib import Path

from server.agents.errors import ArtifactError
from server.config import Settings
from server.core.errors import AppError

ACTOR = "cli"


class VerificationFailedError(Exception):
    """Some registered versions failed verification; the report lists each."""

    def __init__(self, report: str, failed: int) -> None:
        super().__init__(f"{failed} registered versions failed verification")
        self.report = report


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `models` command and its subcommands."""
    models = commands.add_parser("models", help="export, import or register model versions")
    actions = models.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write a version's bundle")
    export.add_argument("name")
    export.add_argument("version", type=int)
    export.add_argument("--out", type=Path, help="default: NAME-vVERSION.tar")
    imported = actions.add_parser("import", help="register a bundle written by export")
    imported.add_argument("bundle", type=Path)
    imported.add_argument("--as-version", type=int, help="register under this number")
    imported.add_argument("--promote", action="store_true", help="make it the champion")
    register = actions.add_parser("register", help="register a stored version by its digest")
    register.add_argument("manifest_url", help="s3://bucket/prefix/versions/NAME/V/manifest.json")
    register.add_argument("--sha256", required=True, help="the manifest's expected sha256")
    register.add_argument("--promote", action="store_true", help="make it the champion")
    actions.add_parser("verify", help="check every registered version against the store")


async def _run(settings: Settings, args: argparse.Namespace) -> str:
    # Imported here: building the parser must not load the services for every command.
    from server.database.session import Database
    from server.services import model_transfer

    async with Database.connect(settings) as database:
        if args.action == "export":
            bundle = await model_transfer.export_version(
                database, settings, args.name, args.version
            )
            out: Path = args.out or Path(f"{args.name}-v{args.version}.tar")
            await asyncio.to_thread(out.write_bytes, bundle)
            return f"wrote {out} ({len(bundle)} bytes)"
        if args.action == "verify":
            checked = await model_transfer.verify_registered(database, settings)
            lines = [
                f"{'ok  ' if not problem else 'FAIL'}  {name} v{version}  {problem}".rstrip()
                for name, version, problem in checked
            ]
            failed = sum(1 for *_, problem in checked if problem)
            if failed:
                raise VerificationFailedError("\n".join(lines), failed)
            return "\n".join([*lines, f"{len(checked)} registered versions verified"])
        if args.action == "import":
            row = await model_transfer.import_bundle(
                database,
                settings,
                args.bundle.read_bytes(),
                actor=ACTOR,
                version=args.as_version,
                promote=args.promote,
            )
        else:
            row = await model_transfer.register_stored(
                database,
                settings,
                args.manifest_url,
                args.sha256,
                actor=ACTOR,
                promote=args.promote,
            )
        promoted = " and promoted to champion" if args.promote else ""
        return f"registered version {row.version}{promoted} (manifest sha256 {row.sha256})"


def run_models(settings: Settings, args: argparse.Namespace) -> int:
    """The `models` command: 0 on success, 1 with the reason on stderr otherwise."""
    from server.core.logging import configure_logging

    configure_logging(settings)
    try:
        sys.stdout.write(asyncio.run(_run(settings, args)) + "\n")
    except AppError as error:
        sys.stderr.write(f"refused: {error.detail}\n")
        return 1
    except ArtifactError as error:  # e.g. the store is unreachable: its reason, no traceback
        sys.stderr.write(f"failed: {error}\n")
        return 1
    except VerificationFailedError as error:
        sys.stdout.write(error.report + "\n")
        sys.stderr.write(f"{error}\n")
        return 1
    return 0
