"""Starting and stopping the project's own processes in tests, and waiting for them.

Each process starts in a session of its own, so it leads a process group that holds
everything it spawns (pool processes, `make dev`'s children, uvicorn's reloader). Leaving
the context ends the whole group, whether the test passed, failed or timed out: nothing
outlives the test that started it.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx

from server.config import SERVER_DIR

STARTUP_BUDGET_S = 180.0
"""How long a process may take to start. Idle, seconds; on two cores shared with other
work, `make dev`'s three processes importing at once took close to two minutes."""


def group_members(leader: int) -> list[int]:
    """The live processes of the group that `leader` leads (itself included)."""
    found = subprocess.run(  # noqa: S603 - a fixed system tool
        ["/usr/bin/pgrep", "-g", str(leader)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def end_group(
    process: subprocess.Popen[bytes], stop_signal: int = signal.SIGTERM, timeout_s: float = 20
) -> None:
    """Ask the leader to stop (`stop_signal`), wait, then kill what is left of its group."""
    if process.poll() is None:
        process.send_signal(stop_signal)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    with suppress(ProcessLookupError):  # an empty group: nothing left to kill
        os.killpg(process.pid, signal.SIGKILL)  # children the leader did not stop
    process.wait()


@contextmanager
def server_process(
    args: Sequence[str],
    env: dict[str, str],
    stop_timeout_s: float = 20,
    stop_signal: int = signal.SIGTERM,
    output: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m server ARGS` with test defaults and `env`, in a process group of its own;
    on exit the leader gets `stop_signal`, then what is left of the group is killed.
    With `output`, everything the process prints (its logs) is appended to that file."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(SERVER_DIR.parent),
        "APP_ENV": "test",
        "APP_LOG_LEVEL": "WARNING",
        **env,
    }
    with ExitStack() as files:
        sink = files.enter_context(output.open("ab")) if output is not None else None
        process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
            [sys.executable, "-m", "server", *args],
            env=environment,
            cwd=SERVER_DIR,
            stdout=sink or subprocess.DEVNULL,
            stderr=sink,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            end_group(process, stop_signal, stop_timeout_s)


def wait_for(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    what: str,
    timeout_s: float = STARTUP_BUDGET_S,
) -> None:
    """Poll `ready` until it holds; fail at once if `process` exits, or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready within {timeout_s} s")
        time.sleep(0.1)


def answers(url: str, status: int = 200) -> Callable[[], bool]:
    """A readiness check: does `url` answer `status` now?"""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == status
        except httpx.TransportError:
            return False

    return check
