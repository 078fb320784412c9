"""Chaos: two API processes, a promotion through one of them. The next prediction on the
other process (sent once the promotion answered) must come from the new version: every API
process hears of an alias move at once, not when its cached serving plan expires.

Three moves under load on both processes: promote 2 via the first, back to 1 via the
second, 2 again via the first. Recovery: a move answered -> the first answer of the other
process from the new version.
"""

import time

import pytest

from server.tests.chaos.load import Load, Outcome, predict
from server.tests.chaos.report import RECOVERY_BUDGET_S, ScenarioFactory
from server.tests.chaos.stack import ChaosStack

pytestmark = pytest.mark.chaos


def stale_answer(outcome: Outcome, changes: list[tuple[float, float, int]]) -> bool:
    """Did a request sent after a move answered get the version from before it? (Those sent
    while a move was under way may get either.)"""
    if outcome.version is None or any(a <= outcome.started < b for a, b, _ in changes):
        return False
    current = [version for _, moved, version in changes if moved <= outcome.started]
    return bool(current) and outcome.version != current[-1]


def test_two_apis_see_a_promotion(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    with (
        scenario("7. promotion seen by two API processes") as result,
        stack.worker(wait=False),
        stack.api() as first,
        stack.api() as second,
    ):
        stack.set_champion(first.base_url, 1)
        for api in (first, second):
            stack.wait_serving(api.base_url, 1)
        moves = [(first, second, 2), (second, first, 1), (first, second, 2)]
        stale: list[str] = []
        changes: list[tuple[float, float, int]] = []
        with Load([first.base_url, second.base_url], predict(stack.headers)) as load:
            for via, other, version in moves:
                time.sleep(1.0)  # load on the settled version first
                moving = time.monotonic()
                stack.set_champion(via.base_url, version)
                moved = time.monotonic()
                answer = stack.predict_once(other.base_url)
                seen = answer.json().get("version") if answer.status_code == 200 else None
                if seen != version:
                    stale.append(
                        f"to {version}: the other process answered {answer.status_code} v{seen}"
                    )
                deadline = moved + RECOVERY_BUDGET_S
                while True:
                    first_new = min(
                        (
                            o.ended
                            for o in load.outcomes
                            if o.target == other.base_url
                            and o.started >= moved
                            and o.version == version
                        ),
                        default=None,
                    )
                    if first_new is not None or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                result.recovered(
                    float("inf") if first_new is None else first_new - moved, f"move to {version}"
                )
                changes.append((moving, moved, version))
        stack.set_champion(first.base_url, 1)
        stale_load = sum(1 for o in load.outcomes if stale_answer(o, changes))
        result.count(load.outcomes)
        result.require(not stale, "next prediction on the other process: " + "; ".join(stale))
        result.notes.append(
            f"{len(moves)} moves, {len(stale)} stale next predictions, "
            f"{stale_load} stale answers to the load"
        )
    assert result.passed, result.failures
