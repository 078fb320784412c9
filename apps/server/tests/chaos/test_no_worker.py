"""Chaos: no worker at all. Its last worker exits (a clean shutdown, all replicas at once);
predictions must answer 503 or 504 quickly (within the API's deadline, never 500, never a
hang), readiness must report the missing worker at once (within 5 s of a clean exit), and
predictions succeed again once a worker is back.

Recovery: the new worker is initialized -> the first prediction that succeeds.
"""

import time
from contextlib import ExitStack

import pytest

from server.tests.chaos.load import Load, predict
from server.tests.chaos.probes import failing_checks, wait_readiness
from server.tests.chaos.report import RECOVERY_BUDGET_S, ScenarioFactory
from server.tests.chaos.stack import ChaosStack

pytestmark = pytest.mark.chaos

WINDOW_S = 10.0
"""Load with no worker at least this long."""
NOTICE_BUDGET_S = 5.0
QUICK_S = 2 * 5.0
"""Twice the API's deadline (`APP_PREDICT_TIMEOUT_S`, 5 s): an answer slower than this is
not quick. (Deadline + 2 s was missed by a few answers on two cores busy with other work.)"""


def test_no_worker_at_all(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    with scenario("5. no worker at all") as result, ExitStack() as processes:
        last_worker = processes.enter_context(ExitStack())
        last_worker.enter_context(stack.worker(wait=False))  # starts while the API starts
        api = processes.enter_context(stack.api())
        stack.set_champion(api.base_url, 1)
        stack.wait_serving(api.base_url)
        last_worker.close()  # a warm shutdown: the worker says goodbye; the API stays up
        gone = time.monotonic()
        with Load([api.base_url], predict(stack.headers)) as load:
            noticed, body = wait_readiness(api.base_url, lambda _, b: bool(failing_checks(b)), 40)
            result.require(
                noticed - gone <= NOTICE_BUDGET_S,
                f"readiness reported the missing worker after {noticed - gone:.1f} s",
            )
            time.sleep(max(0.0, gone + WINDOW_S - time.monotonic()))
            launched = time.monotonic()
            with stack.worker():
                started = time.monotonic()
                served = load.first_success(started, RECOVERY_BUDGET_S)
        outcomes = result.count(load.outcomes)
        without = [o for o in outcomes if o.ended < launched]
        wrong = [o for o in without if o.status not in (503, 504)]
        slow = [o for o in without if o.seconds > QUICK_S]
        result.require(not wrong, f"{len(wrong)} answers without a worker were not 503/504")
        result.require(not slow, f"{len(slow)} answers without a worker took over {QUICK_S} s")
        result.recovered(served - started, "first success once a worker is back")
        result.notes.append(
            f"readiness noticed after {noticed - gone:.1f} s ({sorted(failing_checks(body))})"
        )
    assert result.passed, result.failures
