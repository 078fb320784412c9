"""Browser tests of the console against the real stack: `make e2e`.

    cd apps/server && PYTHONPATH=.. uv run python scripts/e2e_stack.py -- npx playwright test

Starts what the benchmark starts (scripts/bench/stack.py: a fresh PostgreSQL database, a
flushed Redis database, migrations, a trained champion, a Celery worker on every queue and
the API, on free ports) with the tests' fake LLM provider scripted for the draft test
(scripts/e2e_provider.py; `--no-llm` leaves the stack without a provider), seeds the
knowledge base, registers a second version for the canary and rollback tests, then runs the
given command with the API's address and a signed-in user's credentials in its environment
(E2E_API_URL, E2E_EMAIL, E2E_PASSWORD, a free E2E_CONSOLE_PORT for the console, and
E2E_LLM_URL, E2E_LLM_PROVIDER for the provider), and stops everything, also when the command
fails. Its exit status is the command's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from server.scripts import e2e_provider
from server.scripts.bench import stack
from server.taskqueue.names import ALL_QUEUES, INFERENCE_GPU

E2E_EMAIL = "e2e@example.com"
# The first superuser of a throwaway stack, never a real secret.
E2E_PASSWORD = "E2e-Console-Password-1"  # noqa: S105  # nosec B105
QUEUES = ",".join(q for q in ALL_QUEUES if q != INFERENCE_GPU)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add = parser.add_argument
    add("--postgres", default=os.environ.get("APP_TEST_DATABASE_URL", ""))
    add("--redis", default=os.environ.get("APP_E2E_REDIS_URL", "redis://127.0.0.1:6379/13"))
    add("--train-rows", type=int, default=3000)
    add("--no-llm", action="store_true", help="no LLM provider: the draft test skips")
    add("command", nargs=argparse.REMAINDER, help="after --: the test command")
    args = parser.parse_args(argv)
    args.command = [part for part in args.command if part != "--"]
    if not args.postgres or not args.command:
        parser.error("needs --postgres (or APP_TEST_DATABASE_URL) and a command after --")
    return args


@contextmanager
def llm_provider(enabled: bool) -> Iterator[e2e_provider.ScriptedProvider]:
    """The scripted fake provider, or no provider at all."""
    if not enabled:
        yield e2e_provider.ScriptedProvider(api_env={}, spec_env={})
        return
    with e2e_provider.scripted_provider() as provider:
        yield provider


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="e2e-") as tmp,
        llm_provider(not args.no_llm) as provider,
    ):
        config = stack.StackConfig(
            postgres_admin_url=args.postgres,
            redis_url=args.redis,
            api_workers=1,
            worker_concurrency=1,
            worker_queues=QUEUES,
            train_rows=args.train_rows,
            state_dir=Path(tmp),
            extra_env={
                "APP_FIRST_SUPERUSER_EMAIL": E2E_EMAIL,
                "APP_FIRST_SUPERUSER_PASSWORD": E2E_PASSWORD,
                # A few dozen predictions make a drift window the console can draw.
                "APP_DRIFT__MIN_WINDOW": "20",
                "APP_DRIFT__LARGE_WINDOW": "50",
                **provider.api_env,
            },
        )
        sys.stderr.write(f"e2e: starting the stack in {tmp}\n")
        try:
            with stack.serving_stack(config) as running:
                logs = Path(tmp) / "logs"
                # The articles the draft's search_articles finds and cites.
                stack.run_step(
                    "seed articles", ["seed-articles"], running.env, logs / "seed.log", 120
                )
                # A second version, not promoted: the challenger of the canary tests.
                stack.run_step(
                    "train a candidate",
                    ["train", "--rows", str(args.train_rows)],
                    running.env,
                    logs / "train-candidate.log",
                    900,
                )
                env = {
                    **os.environ,
                    "E2E_API_URL": running.base_url,
                    "E2E_EMAIL": E2E_EMAIL,
                    "E2E_PASSWORD": E2E_PASSWORD,
                    "E2E_CONSOLE_PORT": str(stack.free_port()),
                    **provider.spec_env,
                }
                sys.stderr.write(f"e2e: API on {running.base_url}; running {args.command}\n")
                # The command comes from our own Makefile target.
                return subprocess.run(args.command, env=env, check=False).returncode  # noqa: S603
        except stack.StackError as exc:
            sys.stderr.write(f"e2e: the stack did not start: {exc}\n")
            return 2


if __name__ == "__main__":
    sys.exit(main())
