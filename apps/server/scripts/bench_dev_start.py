"""How long `make dev` takes to serve: on a fresh clone, then warm.

    make bench-dev      (or: cd apps/server && uv run python scripts/bench_dev_start.py)

Clones the repository's HEAD into a temporary directory and runs `make dev` there twice,
as a developer would on the first day and every day after:

- **first run**: from `make dev` on the fresh clone (uv installs from its local cache and
  compiles bytecode, then migrations, training the first model, the administrator, the
  three processes) to the first prediction answered with the administrator's printed
  password;
- **warm run**: Ctrl-C, then `make dev` again: to readiness with the champion loaded on a
  worker, and to the first prediction.

The API and the worker's metrics get free ports, so a `make dev` already running elsewhere
on the machine is left alone. Writes `bench-dev.json` and `bench-dev.md` to `--out-dir`. A
benchmark, not a test: figures move with the machine, its load and uv's cache.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from server.config import SERVER_DIR
from server.scripts.bench.stack import free_port

REPO_ROOT = SERVER_DIR.parent.parent
PASSWORD_LINE = re.compile(r"password \(shown once\): (\S+)")
ADMIN = "admin@example.com"
TEXT = "I was charged twice for my subscription this month"


def tool(name: str) -> str:
    """The absolute path of a program on PATH."""
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not on PATH")
    return found


def clone(target: Path) -> None:
    subprocess.run(  # noqa: S603 - git on our own repository
        [tool("git"), "clone", "--quiet", str(REPO_ROOT), str(target)], check=True
    )


def dev_environment(port: int) -> dict[str, str]:
    """This environment without our own settings or virtualenv, on free ports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("APP_") and k not in {"VIRTUAL_ENV", "PYTHONPATH"}
    }
    return {**env, "APP_PORT": str(port), "APP_WORKER_METRICS_PORT": str(free_port())}


@contextlib.contextmanager
def make_dev(checkout: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`make dev` in its own session; Ctrl-C (SIGINT to the session) on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - make, with the checkout's Makefile
            [tool("make"), "dev"],
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _model_ready(base_url: str) -> bool:
    try:
        answer = httpx.get(f"{base_url}/readiness", timeout=2)
    except httpx.TransportError:
        return False
    model = answer.json().get("dependencies", {}).get("model", {})
    return answer.status_code == 200 and model.get("status") == "ok"


def _predicts(base_url: str, password: str) -> bool:
    try:
        token = httpx.post(
            f"{base_url}/api/v1/auth/token",
            data={"username": ADMIN, "password": password},
            timeout=10,
        )
        if token.status_code != 200:
            return False
        answer = httpx.post(
            f"{base_url}/api/v1/predictions",
            json={"texts": [TEXT]},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
    except httpx.TransportError:
        return False
    return answer.status_code == 200


def timed_run(
    checkout: Path, env: dict[str, str], log: Path, password: str | None, timeout_s: float
) -> dict[str, Any]:
    """Seconds from `make dev` to readiness with the model and to the first prediction."""
    base_url = f"http://127.0.0.1:{env['APP_PORT']}"
    figures: dict[str, Any] = {}
    started = time.monotonic()
    with make_dev(checkout, env, log) as process:
        while time.monotonic() - started < timeout_s:
            if process.poll() is not None:
                raise RuntimeError(f"make dev exited with {process.returncode}; see {log}")
            if password is None and (found := PASSWORD_LINE.search(log.read_text("utf-8"))):
                password = found.group(1)
            if "ready_s" not in figures and _model_ready(base_url):
                figures["ready_s"] = round(time.monotonic() - started, 1)
            if "ready_s" in figures and password and _predicts(base_url, password):
                figures["first_prediction_s"] = round(time.monotonic() - started, 1)
                figures["password"] = password
                return figures
            time.sleep(0.2)
    raise TimeoutError(f"make dev did not answer a prediction within {timeout_s:.0f} s; see {log}")


def render(report: dict[str, Any]) -> str:
    first, warm = report["first_run"], report["warm_run"]
    return "\n".join(
        [
            "# `make dev` start-up",
            "",
            f"{report['created_at']}; {report['cpus']} CPUs; commit {report['commit']}.",
            "",
            "| run | to readiness with the model (s) | to the first prediction (s) |",
            "|---|---|---|",
            f"| first, fresh clone | {first['ready_s']} | {first['first_prediction_s']} |",
            f"| warm (second run) | {warm['ready_s']} | {warm['first_prediction_s']} |",
            "",
            "First run: uv installs from its local cache and compiles bytecode, then "
            "migrations, the first model, the administrator and the three processes. Warm: "
            "the same command again after Ctrl-C.",
            "",
            "A benchmark, not a test: figures move with the machine and its load.",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / "reports")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dev-") as tmp:
        checkout, log = Path(tmp) / "clone", Path(tmp) / "make-dev.log"
        clone(checkout)
        env = dev_environment(free_port())
        first = timed_run(checkout, env, log, None, args.timeout)
        warm = timed_run(checkout, env, log, first.pop("password"), args.timeout)
        warm.pop("password")
        commit = subprocess.run(  # noqa: S603 - git on the clone
            [tool("git"), "-C", str(checkout), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "commit": commit,
        "first_run": first,
        "warm_run": warm,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "bench-dev.json").write_text(json.dumps(report, indent=2) + "\n")
    page = render(report)
    (args.out_dir / "bench-dev.md").write_text(page, "utf-8")
    sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
