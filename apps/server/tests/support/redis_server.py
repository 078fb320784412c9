"""A Redis server of a test's own, on a free port, so stopping it touches nothing else."""

import shutil
import subprocess
import time
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server")


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """`redis-server` on `port` (no persistence), once it answers PING."""
    assert REDIS_SERVER is not None
    process = subprocess.Popen(  # noqa: S603 - a fixed system binary
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)
