"""`python -m server prompts ...` and `python -m server eval`: the prompt registry from the
command line, shaped like the models API.

prompts register FILE [--description TEXT]      a YAML or JSON prompt spec
prompts list                                    versions, aliases, latest scores
prompts promote VERSION --reason TEXT [--alias challenger]
                                                champion: runs the evaluations the gate
                                                misses (inline), then the gate
prompts rollback --reason TEXT [--alias challenger]
prompts canary PERCENT                          the challenger's share of drafts
eval [--version N] [--out-dir DIR]              evaluate a version (default: the champion)
                                                and write DIR/eval.md and DIR/eval.json
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from server.config import Settings
from server.core.errors import AppError

if TYPE_CHECKING:
    from server.agents.llm.evaluation import EvalReport
    from server.database.session import Database

ACTOR = "cli"
NO_PROVIDER = (
    "no model provider is configured: set APP_LLM__PROVIDERS, e.g. "
    '\'[{"name": "ollama", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3.2"}]\' '
    "(see the README's 'Reply assistant' section)"
)


class NoProviderError(Exception):
    """The command needs a model provider and none is configured."""


class EvaluationFailedError(Exception):
    """An evaluation the promotion needed did not succeed."""


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `prompts` and `eval` commands."""
    prompts = commands.add_parser("prompts", help="register, list, promote or roll back prompts")
    actions = prompts.add_subparsers(dest="action", required=True)
    register = actions.add_parser("register", help="register a prompt spec (YAML or JSON)")
    register.add_argument("file", type=Path)
    register.add_argument("--description", default="")
    actions.add_parser("list", help="versions with their aliases and scores")
    promote = actions.add_parser("promote", help="point an alias at a version")
    promote.add_argument("version", type=int)
    promote.add_argument("--alias", choices=["champion", "challenger"], default="champion")
    promote.add_argument("--reason", required=True)
    rollback = actions.add_parser("rollback", help="move an alias back to its previous version")
    rollback.add_argument("--alias", choices=["champion", "challenger"], default="champion")
    rollback.add_argument("--reason", required=True)
    canary = actions.add_parser("canary", help="set the challenger's share of drafts")
    canary.add_argument("percent", type=int, choices=range(101), metavar="PERCENT")
    evaluate = commands.add_parser("eval", help="evaluate a prompt version; write a report")
    evaluate.add_argument("--version", type=int, help="default: the champion (or builtin)")
    evaluate.add_argument("--out-dir", type=Path, default=Path("reports"))


def read_spec(path: Path) -> dict[str, Any]:
    """A spec file as a mapping (YAML is a superset of JSON: one parser reads both)."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} does not hold a mapping of spec fields")
    return loaded


def write_report(out: Path, report: "EvalReport") -> None:
    """`eval.json` (every ticket's result) and `eval.md` (for people) under `out`."""
    from server.agents.llm.evaluation import render_markdown

    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out / "eval.md").write_text(render_markdown(report), encoding="utf-8")


def _listed(row: Any, aliases: dict[str, int]) -> str:
    held = ",".join(alias for alias, version in sorted(aliases.items()) if version == row.version)
    scores = (row.eval_report or {}).get("scores")
    return f"v{row.version}  {row.digest[:12]}  {held or '-'}  {json.dumps(scores)}"


async def _prompts(settings: Settings, args: argparse.Namespace) -> str:
    # Imported here: building the parser must not load the services for every command.
    from server.database.session import Database
    from server.services.assistant import prompts

    async with Database.connect(settings) as database, database.session(writes=True) as session:
        if args.action == "register":
            row, created = await prompts.register_version(
                session, read_spec(args.file), description=args.description, actor=ACTOR
            )
            return f"{'registered' if created else 'already registered as'} version {row.version}"
        if args.action == "list":
            rows, aliases = await prompts.describe_versions(session)
            return "\n".join(_listed(row, aliases) for row in rows) or (
                "no prompt versions: drafts run under the builtin prompt"
            )
        if args.action == "rollback":
            current, previous = await prompts.rollback_alias(
                session, args.alias, actor=ACTOR, reason=args.reason
            )
            return f"{args.alias}: v{current} -> v{previous}"
        if args.action == "canary":
            await prompts.set_canary(session, args.percent, actor=ACTOR)
            return f"challenger share: {args.percent} %"
        if args.alias == "challenger":
            await prompts.set_challenger(session, args.version, actor=ACTOR, reason=args.reason)
            return f"challenger: v{args.version}"
    return await _promote_champion(settings, args)


async def _evaluate_missing(settings: Settings, database: "Database", version: int) -> list[str]:
    """Run inline the evaluations the gate misses for `version` (a command may take
    minutes, a request may not); one line per evaluation run."""
    from server.database.registry_models import RunStatus
    from server.services.assistant import prompt_eval_runs, prompt_promotion
    from server.services.assistant.prompt_evaluation import eval_drafter

    async with database.session() as session:
        inputs = await prompt_promotion.gate_inputs(session, version, settings.prompt_eval)
    if not inputs.missing:
        return []
    lines = []
    async with eval_drafter(settings, database) as drafter:
        if drafter is None:
            raise NoProviderError(NO_PROVIDER)
        for missing in inputs.missing:
            label = prompt_eval_runs.label_for(missing)
            queued = await prompt_eval_runs.create_run(
                database, settings, missing, requested_by=ACTOR
            )
            run = await prompt_eval_runs.execute_run(database, settings, queued.id, drafter)
            if run.status != RunStatus.succeeded:
                detail = (run.error or {}).get("detail", "no reason recorded")
                raise EvaluationFailedError(f"the evaluation of {label} failed: {detail}")
            lines.append(f"evaluated {label}: {json.dumps((run.report or {}).get('scores'))}")
    return lines


async def _promote_champion(settings: Settings, args: argparse.Namespace) -> str:
    """Evaluate what the gate misses, then promote through the gate."""
    from server.database.session import Database
    from server.services.assistant import prompt_promotion

    async with Database.connect(settings) as database:
        evaluated = await _evaluate_missing(settings, database, args.version)
        async with database.session(writes=True) as session:
            _, verdict = await prompt_promotion.promote_champion(
                session,
                args.version,
                config=settings.prompt_eval,
                actor=ACTOR,
                reason=args.reason,
            )
    checks = [f"  {r.name}: {r.message}" for r in (verdict.results if verdict else [])]
    return "\n".join([*evaluated, f"champion: v{args.version}", *checks])


async def _eval(settings: Settings, args: argparse.Namespace) -> str:
    from server.database.session import Database
    from server.services.assistant.prompt_evaluation import eval_drafter, evaluate_target

    async with Database.connect(settings) as database, eval_drafter(settings, database) as drafter:
        if drafter is None:
            raise NoProviderError(NO_PROVIDER)
        async with database.session(writes=True) as session:
            report = await evaluate_target(session, args.version, drafter, settings)
    await asyncio.to_thread(write_report, args.out_dir, report)
    scores = ", ".join(f"{name} {value:.3f}" for name, value in report.scores.items())
    return f"prompt {report.prompt_label}: {scores}; wrote {args.out_dir / 'eval.md'} and eval.json"


def run_prompts(settings: Settings, args: argparse.Namespace) -> int:
    """The `prompts` and `eval` commands: 0 on success, 1 (2 without a provider) with the
    reason on stderr otherwise."""
    from server.core.logging import configure_logging

    configure_logging(settings)
    command = _eval if args.command == "eval" else _prompts
    try:
        sys.stdout.write(asyncio.run(command(settings, args)) + "\n")
    except NoProviderError as error:
        sys.stderr.write(f"refused: {error}\n")
        return 2
    except AppError as error:
        sys.stderr.write(f"refused: {error.detail}\n")
        return 1
    except EvaluationFailedError as error:
        sys.stderr.write(f"refused: {error}\n")
        return 1
    except (OSError, ValueError, yaml.YAMLError) as error:  # the spec file: its reason only
        sys.stderr.write(f"failed: {error}\n")
        return 1
    return 0
