"""Chaos: the champion's artifact is modified on disk (tampering, a corrupted volume).

Phase 1, while a worker serves it: within 60 s no prediction may come from the modified
version any more (the worker re-verifies its files). Phase 2, a fresh worker starts with it:
the version is refused at load. In both, predictions answer 503 naming the refused
artifact, or 200 from another, verified version (the worker's fallback), never 500; and
readiness names the refusal. Recovery: detection in phase 1, and after phase 2 the champion
moved back to a good version -> its first answer; the slower counts.
"""

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from server.tests.chaos.load import Load, Outcome, predict
from server.tests.chaos.probes import ARTIFACT_REFUSAL, readiness
from server.tests.chaos.report import RECOVERY_BUDGET_S, ScenarioFactory, ScenarioResult
from server.tests.chaos.stack import ChaosStack
from server.tests.support.models import MODEL

pytestmark = pytest.mark.chaos

GOOD, TAMPERED = 1, 3
WEIGHTS = "weights.npy"
ONE_PROCESS = {"APP_WORKER_CONCURRENCY": "1"}
"""One pool process: the one that served the version before the change is the one asked
to score with it after (a second one would load it afresh and refuse it at load)."""
AFTER_DETECTION_S = 5.0
"""Load after the first refusal: the modified version must not answer again."""
PHASE_2_S = 8.0
"""Load on the fresh worker with the tampered champion."""


@contextmanager
def tampered(path: Path) -> Iterator[None]:
    """One byte of `path` flipped (its size kept) while the block runs; restored after."""
    original = path.read_bytes()
    middle = len(original) // 2
    path.write_bytes(original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1 :])
    try:
        yield
    finally:
        path.write_bytes(original)


def refused(outcome: Outcome) -> bool:
    """Did this answer refuse the tampered version: a 503 that says why, or a 200 scored by
    another version?"""
    if outcome.status == 503:
        return bool(ARTIFACT_REFUSAL.search(outcome.detail or ""))
    return outcome.status == 200 and outcome.version != TAMPERED


def judge_refusals(result: ScenarioResult, outcomes: list[Outcome], phase: str) -> None:
    served = [o for o in outcomes if o.status == 200 and o.version == TAMPERED]
    result.require(not served, f"{phase}: {len(served)} answers from the tampered version")
    mute = [o for o in outcomes if o.status == 503 and not refused(o)]
    result.require(not mute, f"{phase}: {len(mute)} 503 answers that do not name the artifact")


def readiness_names_refusal(result: ScenarioResult, base_url: str, phase: str) -> None:
    status, body = readiness(base_url)
    result.require(
        bool(ARTIFACT_REFUSAL.search(str(body))),
        f"{phase}: readiness ({status}) does not name the refused artifact",
    )


def test_tampered_champion_artifact(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    weights = stack.artifact_root / MODEL / str(TAMPERED) / WEIGHTS
    with scenario("6. tampered champion artifact") as result, ExitStack() as processes:
        serving = processes.enter_context(ExitStack())
        serving.enter_context(stack.worker(extra=ONE_PROCESS, wait=False))
        api = processes.enter_context(stack.api())
        with serving:
            stack.set_champion(api.base_url, GOOD)
            stack.wait_serving(api.base_url, GOOD)
            stack.set_champion(api.base_url, TAMPERED)
            stack.wait_serving(api.base_url, TAMPERED)
            with Load([api.base_url], predict(stack.headers)) as load, tampered(weights):
                modified = time.monotonic()
                deadline, detected = modified + RECOVERY_BUDGET_S, None
                while detected is None and time.monotonic() < deadline:
                    time.sleep(0.1)
                    after = [o for o in load.outcomes if o.started >= modified]
                    detected = next((o.ended for o in after if refused(o)), None)
                if detected is not None:
                    time.sleep(AFTER_DETECTION_S)
                load.stop()
                detected_s = float("inf") if detected is None else detected - modified
                result.recovered(detected_s, "phase 1: tampered version refused")
                outcomes = result.count(load.outcomes)
                if detected is not None:
                    judge_refusals(result, [o for o in outcomes if o.started > detected], "phase 1")
                    readiness_names_refusal(result, api.base_url, "phase 1")
        with tampered(weights), stack.worker(extra=ONE_PROCESS):
            with Load([api.base_url], predict(stack.headers)) as load:
                time.sleep(PHASE_2_S)
                readiness_names_refusal(result, api.base_url, "phase 2")
                judge_refusals(result, load.outcomes, "phase 2")
                moved = time.monotonic()
                stack.set_champion(api.base_url, GOOD)
                restored = load.first_success(moved, RECOVERY_BUDGET_S)
            result.count(load.outcomes)
            result.recovered(restored - moved, "champion moved back")
        result.notes.append(f"refused {detected_s:.1f} s after the change")
    assert result.passed, result.failures
