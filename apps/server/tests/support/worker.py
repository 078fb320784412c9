"""A real Celery worker process (`python -m server worker`) for integration tests."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from server.tests.support.processes import answers, server_process, wait_for

REDIS_TEST_URL_ENV = "APP_TEST_REDIS_URL"


def xdist_worker_index() -> int:
    """0 outside pytest-xdist, N in its worker `gwN`."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw"))


def redis_test_url() -> str | None:
    """The test Redis of this process: tests flush it, so each xdist worker has its own.

    Worker `gwN` (and a run without xdist, as `gw0`) uses database `D - N` (counting down,
    since Redis has databases 0-15 and CI names the last), where `D` is the database of
    `APP_TEST_REDIS_URL`: with `-n 2` and `/15`, databases 15 and 14.
    """
    url = os.environ.get(REDIS_TEST_URL_ENV) or None
    index = xdist_worker_index()
    if url is None or index == 0:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - index
    assert database >= 0, f"{url}: too few Redis databases below it for {index + 1} workers"
    return urlunsplit(parts._replace(path=f"/{database}"))


@contextmanager
def celery_worker(
    env: dict[str, str],
    queues: str,
    pool: str = "prefork",
    output: Path | None = None,
    wait: bool = True,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a worker with `APP_*` variables from `env`; stop it with a warm shutdown.

    With `APP_WORKER_METRICS_PORT` in `env`, it waits until the worker serves its metrics
    (its liveness probe, up once the worker has initialized), so tests' own time budgets
    measure work, not start-up; `wait=False` returns at once (to start other processes
    meanwhile).
    """
    args = ["worker", "--queues", queues, "--pool", pool]
    with server_process(args, env, output=output) as process:
        port = env.get("APP_WORKER_METRICS_PORT")
        if port and wait:
            wait_for(answers(f"http://127.0.0.1:{port}/metrics"), process, f"worker {queues}")
        yield process
