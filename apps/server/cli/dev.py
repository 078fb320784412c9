"""`make dev`: the API, a worker and beat as real processes, stopped together on Ctrl-C.

Embedded by default (SQLite, the filesystem broker under var/): the same task code as in
production, with no Redis, PostgreSQL or Docker.
"""

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

from server.config import SERVER_DIR
from server.taskqueue.names import BATCH, INFERENCE, SHADOW, TRAINING

PROCESSES: dict[str, Sequence[str]] = {
    "worker": [
        "worker",
        "--queues",
        f"{INFERENCE},{SHADOW},{BATCH},{TRAINING}",
        "--concurrency",
        "1",
    ],
    "beat": ["beat"],
    "api": ["api", "--reload"],
}


def _start(args: Sequence[str]) -> subprocess.Popen[bytes]:
    # Our own interpreter running our own module with constant arguments.
    return subprocess.Popen([sys.executable, "-m", "server", *args], cwd=SERVER_DIR)  # noqa: S603


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_dev() -> int:
    """Run every process until Ctrl-C (or SIGTERM) or until one of them exits."""
    # Ctrl-C must stop the group even where the shell started us with SIGINT ignored (a
    # background job inherits that), and SIGTERM (a supervisor, `kill`) stops it the same way.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    children = {name: _start(args) for name, args in PROCESSES.items()}
    try:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    sys.stderr.write(f"{name} exited with code {child.returncode}; stopping\n")
                    return child.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
