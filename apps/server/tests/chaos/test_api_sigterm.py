"""Chaos: SIGTERM to an API process under prediction load (a rolling deploy, a scale-down).

The API runs with a drain delay, as in Kubernetes: readiness must answer 503 at once
(within 1 s), so that the load balancer stops sending traffic, while requests that still
arrive during the delay are served; then every request in flight when the process stops
accepting must be answered (no connection cut, no 500). Recovery: the signal -> the process
exited with every in-flight request answered (its drain).
"""

import signal
import time

import pytest

from server.tests.chaos.load import Load, predict
from server.tests.chaos.probes import ReadinessProbe, wait_readiness
from server.tests.chaos.report import ScenarioFactory
from server.tests.chaos.stack import ChaosStack

pytestmark = pytest.mark.chaos

LOAD_S = 3.0
"""Load before the signal: every client has requests going."""
NOT_READY_BUDGET_S = 1.0
DRAIN_S = 2.0
"""`APP_SHUTDOWN_DRAIN_S` (5 s in the Kubernetes overlay): serving on, readiness 503."""
EXIT_BUDGET_S = 60.0
"""Above the API's own graceful shutdown (`APP_GRACEFUL_SHUTDOWN_S`, 20 s)."""


def test_api_sigterm_under_load(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    with (
        scenario("4. API SIGTERM under load") as result,
        stack.worker(wait=False),
        stack.api({"APP_SHUTDOWN_DRAIN_S": str(DRAIN_S)}) as api,
    ):
        stack.set_champion(api.base_url, 1)
        stack.wait_serving(api.base_url)
        ready, body = wait_readiness(api.base_url, lambda status, _: status == 200, 60)
        result.require(ready != float("inf"), f"readiness never answered 200 before: {body}")
        with Load([api.base_url], predict(stack.headers)) as load:
            time.sleep(LOAD_S)
            with ReadinessProbe(api.base_url) as probe:
                signalled = time.monotonic()
                api.process.send_signal(signal.SIGTERM)
                api.process.wait(timeout=EXIT_BUDGET_S)
                exited = time.monotonic()
                # A probe on a process that is gone fails too: probe on past a quick exit.
                time.sleep(max(0.0, signalled + NOT_READY_BUDGET_S + 0.5 - exited))
        outcomes = result.count(load.outcomes)
        in_flight = [o for o in outcomes if o.started < signalled]
        cut = [o for o in in_flight if not o.answered]
        result.require(not cut, f"{len(cut)} of {len(in_flight)} requests in flight got no answer")
        not_ready_s, ready_again = probe.not_ready_after(signalled)
        result.require(
            not_ready_s <= NOT_READY_BUDGET_S,
            f"readiness still 200 {not_ready_s:.2f} s after SIGTERM",
        )
        result.require(ready_again == 0, f"readiness answered 200 again {ready_again} times")
        draining = [p for p in probe.probes if p.sent >= signalled and p.status == 503]
        result.require(bool(draining), "readiness never answered 503 while the process drained")
        served = [o for o in outcomes if signalled < o.started < signalled + DRAIN_S / 2]
        result.require(
            any(o.status == 200 for o in served), "nothing sent during the drain delay was served"
        )
        result.recovered(exited - signalled, "drain")
        result.notes.append(
            f"{len(in_flight)} in flight; not ready after {not_ready_s:.2f} s; "
            f"exit code {api.process.returncode}"
        )
        # uvicorn re-raises the signal it handled once it has shut down: -15 is a clean exit.
        result.require(
            api.process.returncode in (0, -signal.SIGTERM), f"exit code {api.process.returncode}"
        )
    assert result.passed, result.failures
