"""`make dev`: the API, a worker and beat as real processes, stopped together on Ctrl-C.

With `--bootstrap` (what `make dev` runs), the steps before them run first in this one
process: migrations, a champion trained when there is none, the generated knowledge-base
articles that are missing, an administrator created when there is no user. As separate
commands they were as many interpreters importing the whole stack: ~34 s of a warm
`make dev`'s ~40 s.

Embedded by default (SQLite, the filesystem broker under var/): the same task code as in
production, with no Redis, PostgreSQL or Docker. Like a cluster's kubelet, it restarts a
worker or beat that exits (a worker exits on purpose when its consumer died), waiting
longer after each quick failure; if the API exits, everything stops.
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
        # Two processes: a training run or a prompt evaluation (whose drafts classify
        # through the inference queue) holds one while the other keeps answering.
        "--concurrency",
        "2",
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


RESTARTED = ("worker", "beat")
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Pause before restarting a process that exited, by how many times it did so in a row."""
HEALTHY_AFTER_S = 60.0
"""A process that ran this long before exiting starts again from the first delay."""


class Restarts:
    """When to start again a process that exited: backing off while it keeps failing."""

    def __init__(self) -> None:
        self.in_a_row = 0
        self.started_at = time.monotonic()
        self.due_at: float | None = None

    def exited(self, now: float) -> float:
        """Note an exit; returns the pause before the next start."""
        if now - self.started_at >= HEALTHY_AFTER_S:
            self.in_a_row = 0
        delay = RESTART_DELAYS_S[min(self.in_a_row, len(RESTART_DELAYS_S) - 1)]
        self.in_a_row += 1
        self.due_at = now + delay
        return delay

    def started(self, now: float) -> None:
        self.started_at, self.due_at = now, None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _restart_when_due(
    name: str, children: dict[str, subprocess.Popen[bytes]], restarts: Restarts
) -> None:
    now = time.monotonic()
    if restarts.due_at is None:
        delay = restarts.exited(now)
        code = children[name].returncode
        sys.stderr.write(f"{name} exited with code {code}; restarting in {delay:g} s\n")
    elif now >= restarts.due_at:
        children[name] = _start(PROCESSES[name])
        restarts.started(now)


DEV_ADMIN = "admin@example.com"
BOOTSTRAP: tuple[tuple[str, ...], ...] = (
    ("migrate",),
    ("train", "--promote", "--if-no-champion"),
    ("seed-articles",),
    ("create-user", "--email", DEV_ADMIN, "--superuser", "--if-no-users", "--generate-password"),
)


def run_bootstrap() -> int:
    """The `BOOTSTRAP` commands in order, in this process; the first failing exit code."""
    from server.cli.main import build_parser, run_command

    parser = build_parser()
    for argv in BOOTSTRAP:
        code = run_command(parser.parse_args(argv))
        if code:
            sys.stderr.write(f"`python -m server {' '.join(argv)}` failed ({code}); stopping\n")
            return code
    return 0


def run_dev(*, bootstrap: bool = False) -> int:
    """Run every process until Ctrl-C (or SIGTERM) or until the API exits."""
    if bootstrap and (code := run_bootstrap()):
        return code
    # Ctrl-C must stop the group even where the shell started us with SIGINT ignored (a
    # background job inherits that), and SIGTERM (a supervisor, `kill`) stops it the same way.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    children = {name: _start(args) for name, args in PROCESSES.items()}
    restarts = {name: Restarts() for name in RESTARTED}
    try:
        while True:
            for name, child in children.items():
                if child.poll() is None:
                    continue
                if name not in restarts:
                    sys.stderr.write(f"{name} exited with code {child.returncode}; stopping\n")
                    return child.returncode or 1
                _restart_when_due(name, children, restarts[name])
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
