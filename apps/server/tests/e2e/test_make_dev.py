"""`make dev`'s supervisor: API, worker and beat start together and stop together."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from server.config import SERVER_DIR
from server.tests.support.databases import provision_database
from server.tests.support.live_server import free_port, wait_until_up


def children_of(pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603 - a fixed system tool
        ["/usr/bin/pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in found.stdout.split()]


def test_dev_runs_three_processes_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    port = free_port()
    with provision_database("sqlite", tmp_path) as database:
        env = {
            **os.environ,
            "PYTHONPATH": str(SERVER_DIR.parent),
            "APP_DATABASE_URL": database.settings.database_url,
            "APP_PORT": str(port),
            "APP_WORKER_METRICS_PORT": str(free_port()),
            "APP_EMBEDDED_BROKER_DIR": str(tmp_path / "broker"),
            "APP_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
            "APP_BEAT_SCHEDULE_PATH": str(tmp_path / "beat-schedule"),
            "APP_METRICS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "APP_LOG_LEVEL": "WARNING",
        }
        dev = subprocess.Popen([sys.executable, "-m", "server", "dev"], env=env, cwd=SERVER_DIR)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", dev, timeout_s=60)
            children = children_of(dev.pid)
            assert len(children) == 3  # worker, beat, api
            dev.send_signal(signal.SIGINT)
            assert dev.wait(timeout=30) == 0
            deadline = time.monotonic() + 10
            while any(Path(f"/proc/{pid}").exists() for pid in children):
                assert time.monotonic() < deadline, "a child outlived the supervisor"
                time.sleep(0.2)
        finally:
            if dev.poll() is None:
                dev.kill()
