"""`make dev`'s supervisor: API, worker and beat start together and stop together, a
worker that dies is started again, and a test that fails while they run leaves none of
them behind."""

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from server.cli.dev import DEV_ADMIN
from server.tests.support.databases import provision_database
from server.tests.support.live_server import free_port, wait_until_up
from server.tests.support.processes import group_members, server_process, wait_for

STOP_BUDGET_S = 30


def children_of(pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603 - a fixed system tool
        ["/usr/bin/pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in found.stdout.split()]


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for its parent to reap it is not alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + STOP_BUDGET_S
    while survivors := [pid for pid in pids if alive(pid)]:
        assert time.monotonic() < deadline, f"processes {survivors} outlived the supervisor"
        time.sleep(0.2)


def dev_env(tmp_path: Path, database_url: str, port: int) -> dict[str, str]:
    return {
        "APP_DATABASE_URL": database_url,
        "APP_PORT": str(port),
        "APP_WORKER_METRICS_PORT": str(free_port()),
        "APP_EMBEDDED_BROKER_DIR": str(tmp_path / "broker"),
        "APP_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
        "APP_BEAT_SCHEDULE_PATH": str(tmp_path / "beat-schedule"),
        "APP_METRICS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }


def test_dev_runs_three_processes_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    port = free_port()
    with (
        provision_database("sqlite", tmp_path) as database,
        server_process(
            ["dev"],
            dev_env(tmp_path, database.settings.database_url, port),
            stop_signal=signal.SIGINT,
        ) as dev,
    ):
        wait_until_up(f"http://127.0.0.1:{port}", dev)
        children = children_of(dev.pid)
        assert len(children) == 3  # worker, beat, api
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=STOP_BUDGET_S) == 0
        wait_until_gone(children)


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except FileNotFoundError:
        return []


def worker_child(supervisor: int) -> int | None:
    workers = [pid for pid in children_of(supervisor) if "worker" in command_line(pid)]
    return workers[0] if workers else None


def test_dev_starts_again_a_worker_that_died(tmp_path: Path) -> None:
    port = free_port()
    with (
        provision_database("sqlite", tmp_path) as database,
        server_process(["dev"], dev_env(tmp_path, database.settings.database_url, port)) as dev,
    ):
        wait_until_up(f"http://127.0.0.1:{port}", dev)
        first = worker_child(dev.pid)
        assert first is not None
        os.kill(first, signal.SIGKILL)  # as the OOM killer would
        wait_for(lambda: worker_child(dev.pid) not in (None, first), dev, "a new worker")
        assert dev.poll() is None  # the API and beat went on
        assert len(children_of(dev.pid)) == 3


def fail_while_dev_runs(env: dict[str, str], seen: list[int]) -> None:
    """Start `make dev`, note its processes once all are up, then fail as a budget would."""
    with server_process(["dev"], env) as dev:
        wait_for(lambda: len(group_members(dev.pid)) >= 4, dev, "make dev's children")
        # the supervisor first, then the worker, beat, the API and what they spawned
        seen.extend([dev.pid, *(pid for pid in group_members(dev.pid) if pid != dev.pid)])
        raise TimeoutError("the test ran out of time")


def test_a_test_failing_while_dev_runs_leaves_no_process_behind(tmp_path: Path) -> None:
    seen: list[int] = []
    with provision_database("sqlite", tmp_path) as database:
        env = dev_env(tmp_path, database.settings.database_url, free_port())
        with pytest.raises(TimeoutError):
            fail_while_dev_runs(env, seen)
    assert len(seen) >= 4
    # and whatever the group spawned after that look (pool processes, the reloader's child)
    wait_until_gone([*seen, *group_members(seen[0])])


def printed_password(log: Path) -> str | None:
    found = re.search(r"password \(shown once\): (\S+)", log.read_text("utf-8", "replace"))
    return found.group(1) if found else None


def test_bootstrap_readies_an_empty_checkout_in_the_supervisor_itself(tmp_path: Path) -> None:
    """`make dev` on a fresh clone: no database file, no model, no user. The supervisor
    migrates, trains and creates the administrator itself, then starts the three."""
    port, log = free_port(), tmp_path / "dev.log"
    env = dev_env(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", port)
    env["APP_TRAIN_DEFAULT_ROWS"] = "2000"
    with server_process(["dev", "--bootstrap"], env, output=log) as dev:
        base_url = f"http://127.0.0.1:{port}"
        wait_for(model_served(base_url), dev, "the API with the champion loaded")
        assert len(children_of(dev.pid)) == 3  # the steps ran in the supervisor
        password = printed_password(log)
        assert password is not None, log.read_text()
        signed_in = httpx.post(
            f"{base_url}/api/v1/auth/token",
            data={"username": DEV_ADMIN, "password": password},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["access_token"]
        predicted = httpx.post(
            f"{base_url}/api/v1/predictions",
            json={"texts": ["I was charged twice for my subscription"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert predicted.status_code == 200, predicted.text


def model_served(base_url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            answer = httpx.get(f"{base_url}/readiness", timeout=2)
        except httpx.TransportError:
            return False
        model = answer.json().get("dependencies", {}).get("model", {})
        return answer.status_code == 200 and model.get("status") == "ok"

    return check
