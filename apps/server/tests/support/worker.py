"""A real Celery worker process (`python -m server worker`) for integration tests."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from server.config import SERVER_DIR

REDIS_TEST_URL_ENV = "APP_TEST_REDIS_URL"


def redis_test_url() -> str | None:
    return os.environ.get(REDIS_TEST_URL_ENV) or None


@contextmanager
def celery_worker(
    env: dict[str, str], queues: str, pool: str = "prefork"
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a worker with `APP_*` variables from `env`; stop it with a warm shutdown."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(SERVER_DIR.parent),
        "APP_ENV": "test",
        "APP_LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-m", "server", "worker", "--queues", queues, "--pool", pool],
        env=environment,
        cwd=SERVER_DIR,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
