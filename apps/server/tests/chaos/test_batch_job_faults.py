"""Chaos: a worker dies mid batch job, whole or one pool process. The job must run again
within 60 s and finish with every item scored exactly once.

A job of 30,000 items in chunks of 200 is killed once 2,000 items are scored; meanwhile 12
clients poll its status. Lost: input items missing from the results (or never scored when
the job did not finish in time). Duplicated: items that appear twice in the results, plus
any surplus of the job's `processed` count over its total (a chunk scored twice). Recovery:
the kill -> the first item scored after it.
"""

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.tests.chaos.load import Load, get
from server.tests.chaos.report import RECOVERY_BUDGET_S, ScenarioFactory, ScenarioResult
from server.tests.chaos.stack import ChaosStack
from server.tests.support.processes import group_members

pytestmark = pytest.mark.chaos

ITEMS = 30_000
CHUNK = "200"
KILL_AT = 2_000
POLL_THINK_S = 0.2
"""Status polls are cheap for the API but not free on two cores: the worker needs them."""
FINISH_BUDGET_S = 180.0
"""Once running again, the rest of the job (28,000 items in 140 commits) on a busy machine."""
BATCH_ENV = {"APP_JOBS_CHUNK_SIZE": CHUNK}
# One pool process: the one killed is the one running the job. (Killing an idle pool
# process can leave billiard's shared queue lock held: the pool then hangs.)
BATCH_WORKER_ENV = {**BATCH_ENV, "APP_WORKER_CONCURRENCY": "1"}


def pool_children(pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603 - a fixed system tool
        ["/usr/bin/pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in found.stdout.split()]


def dead(pid: int) -> bool:
    """Gone, or a zombie its parent has not reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def kill_and_wait(pids: list[int], group: int | None = None, timeout_s: float = 10) -> None:
    """SIGKILL `pids` (or at once the whole process `group` they belong to); wait until each
    is dead."""
    if group is not None:
        os.killpg(group, signal.SIGKILL)
    for pid in pids if group is None else []:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while not all(dead(pid) for pid in pids):
        assert time.monotonic() < deadline, f"{pids} still alive {timeout_s} s after SIGKILL"
        time.sleep(0.01)


def job_state(client: httpx.Client, location: str) -> dict[str, Any]:
    answer = client.get(location)
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()
    return state


def wait_job(
    client: httpx.Client, location: str, done: Callable[[dict[str, Any]], bool], timeout_s: float
) -> tuple[dict[str, Any], float]:
    """Poll until `done(job)`; (the last state, when it held or `inf`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = job_state(client, location)
        if done(job):
            return job, time.monotonic()
        if job["status"] in ("failed", "cancelled") or time.monotonic() > deadline:
            return job, float("inf")
        time.sleep(0.05)


def count_items(
    result: ScenarioResult, client: httpx.Client, location: str, job: dict[str, Any]
) -> None:
    """Lost and duplicated items of a job, against its input."""
    result.duplicated += max(0, job["processed"] - ITEMS)
    if job["status"] != "succeeded":
        result.lost += ITEMS - min(job["processed"], ITEMS)
        result.notes.append(f"job {job['status']} at {job['processed']}/{ITEMS}")
        return
    lines = client.get(f"{location}/results").text.splitlines()
    ids = Counter(json.loads(line)["id"] for line in lines)
    result.lost += sum(1 for i in range(ITEMS) if str(i) not in ids)
    result.duplicated += sum(count - 1 for count in ids.values())


def run_job_with_fault(
    stack: ChaosStack,
    result: ScenarioResult,
    base_url: str,
    kill: Callable[[], None],
    after_kill: Callable[[], object] = lambda: None,
) -> None:
    """Submit the job, `kill` at KILL_AT scored, `after_kill` (start a fresh worker, say),
    then measure recovery and the items under status-polling load."""
    stack.set_champion(base_url, 1)
    with stack.admin(base_url) as client:
        items = [{"text": f"refund order {i} please", "id": str(i)} for i in range(ITEMS)]
        submitted = client.post("/api/v1/jobs", json={"items": items})
        assert submitted.status_code == 202, submitted.text
        location = submitted.headers["location"]
        with Load([base_url], get(location, stack.headers), think_s=POLL_THINK_S) as load:
            job, _ = wait_job(client, location, lambda j: j["processed"] >= KILL_AT, 120)
            assert KILL_AT <= job["processed"] < ITEMS, f"not killed mid-job: {job}"
            killed_at = time.monotonic()
            kill()
            # What the killed process committed (a commit may land just after the signal).
            scored = job_state(client, location)["processed"]
            after_kill()
            job, resumed = wait_job(
                client, location, lambda j: j["processed"] > scored, RECOVERY_BUDGET_S + 15
            )
            result.recovered(resumed - killed_at, "job running again")
            if resumed != float("inf"):
                job, _ = wait_job(
                    client, location, lambda j: j["status"] == "succeeded", FINISH_BUDGET_S
                )
        result.count(load.outcomes)
        count_items(result, client, location, job)
        result.require(job["status"] == "succeeded", f"job ended {job['status']}: {job['error']}")


def test_whole_worker_sigkill_mid_job(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    """The worker's main process and pool die together (OOM kill, node loss); a fresh worker
    starts at once, and beat runs the sweeper."""
    with (
        scenario("1. whole worker SIGKILL mid job") as result,
        ExitStack() as fresh,
        stack.worker("batch", BATCH_WORKER_ENV, wait=False) as first,
        stack.beat(BATCH_ENV),
        stack.api(BATCH_ENV) as api,
    ):
        run_job_with_fault(
            stack,
            result,
            api.base_url,
            kill=lambda: kill_and_wait(group_members(first.pid), group=first.pid),
            after_kill=lambda: fresh.enter_context(stack.worker("batch", BATCH_WORKER_ENV)),
        )
    assert result.passed, result.failures


def test_pool_child_sigkill_mid_job(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    """The pool process scoring the job dies; the worker's main process lives on."""
    with (
        scenario("2. pool child SIGKILL mid job") as result,
        stack.worker("batch", BATCH_WORKER_ENV, wait=False) as worker,
        stack.api(BATCH_ENV) as api,
    ):

        def kill_children() -> None:
            children = pool_children(worker.pid)
            assert children, "the worker has no pool process"
            kill_and_wait(children)

        run_job_with_fault(stack, result, api.base_url, kill=kill_children)
    assert result.passed, result.failures
