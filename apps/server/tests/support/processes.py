"""Starting and stopping the project's own processes in tests."""

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from server.config import SERVER_DIR


@contextmanager
def server_process(
    args: Sequence[str], env: dict[str, str], stop_timeout_s: float = 20
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m server ARGS` with test defaults and `env`; stopped (SIGTERM, then KILL)."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(SERVER_DIR.parent),
        "APP_ENV": "test",
        "APP_LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-m", "server", *args],
        env=environment,
        cwd=SERVER_DIR,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
