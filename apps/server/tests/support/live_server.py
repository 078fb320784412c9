"""A real API process (`python -m server api`) on a free local port, for end-to-end tests."""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.tests.support.processes import server_process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]


def wait_until_up(base_url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"no answer from {base_url} within {timeout_s} s")


@contextmanager
def live_server(
    env: dict[str, str], state_dir: Path, timeout_s: float = 30
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
