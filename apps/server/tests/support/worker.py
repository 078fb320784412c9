"""A real Celery worker process (`python -m server worker`) for integration tests."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from server.tests.support.processes import server_process

REDIS_TEST_URL_ENV = "APP_TEST_REDIS_URL"


def redis_test_url() -> str | None:
    return os.environ.get(REDIS_TEST_URL_ENV) or None


@contextmanager
def celery_worker(
    env: dict[str, str], queues: str, pool: str = "prefork"
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a worker with `APP_*` variables from `env`; stop it with a warm shutdown."""
    with server_process(["worker", "--queues", queues, "--pool", pool], env) as process:
        yield process
