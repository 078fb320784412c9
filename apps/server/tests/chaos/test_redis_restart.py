"""Chaos: Redis (broker, results, heartbeats, rate limits) killed and restarted under
prediction load, five times. Each time predictions must answer again within 60 s: the API
reconnects, and so does the worker (it must not die when Redis comes back).

While Redis is down predictions may answer 503 (never 500, never hang). Recovery: the restart
-> the first prediction sent after it that succeeds; the slowest of the five counts.
"""

import time

import pytest

from server.tests.chaos.load import Load, predict
from server.tests.chaos.report import RECOVERY_BUDGET_S, ScenarioFactory
from server.tests.chaos.stack import ChaosStack

pytestmark = pytest.mark.chaos

ROUNDS = 5
DOWN_S = 3.0
"""Redis stays down this long under load each round."""
STEADY_S = 2.0
"""Load on a recovered stack before the next kill."""


def test_redis_killed_and_restarted_under_load(
    stack: ChaosStack, scenario: ScenarioFactory
) -> None:
    with (
        scenario(f"3. Redis killed and restarted x{ROUNDS} under load") as result,
        stack.worker(wait=False) as worker,
        stack.api() as api,
    ):
        stack.set_champion(api.base_url, 1)
        stack.wait_serving(api.base_url)
        with Load([api.base_url], predict(stack.headers)) as load:
            times = []
            for number in range(1, ROUNDS + 1):
                time.sleep(STEADY_S)
                stack.redis.kill()
                time.sleep(DOWN_S)
                stack.redis.start()
                restarted = time.monotonic()
                served = load.first_success(restarted, RECOVERY_BUDGET_S)
                result.recovered(served - restarted, f"round {number}")
                times.append(served - restarted)
                if served == float("inf"):
                    break
        result.count(load.outcomes)
        result.notes.append("recovery per round: " + ", ".join(f"{t:.1f}" for t in times))
        result.require(worker.poll() is None, f"the worker exited ({worker.returncode})")
    assert result.passed, result.failures
