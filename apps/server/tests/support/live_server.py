"""A real API process (`python -m server api`) on a free local port, for end-to-end tests."""

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.tests.support.processes import STARTUP_BUDGET_S, answers, server_process, wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]


def wait_until_up(
    base_url: str, process: subprocess.Popen[bytes], timeout_s: float = STARTUP_BUDGET_S
) -> None:
    """Wait until the API answers its liveness probe: the process started and serves."""
    wait_for(answers(f"{base_url}/health"), process, f"the API at {base_url}", timeout_s)


@contextmanager
def live_server(
    env: dict[str, str], state_dir: Path, timeout_s: float = STARTUP_BUDGET_S
) -> Iterator[LiveServer]:
    """Run the API with `APP_*` variables from `env`, its files under `state_dir`."""
    port = free_port()
    env = {
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(port),
        "APP_EMBEDDED_BROKER_DIR": str(state_dir / "broker"),
        "APP_ARTIFACT_ROOT": str(state_dir / "artifacts"),
        **env,
    }
    base_url = f"http://127.0.0.1:{port}"
    with server_process(["api"], env, stop_timeout_s=15) as process:
        wait_until_up(base_url, process, timeout_s)
        yield LiveServer(base_url=base_url, process=process)
