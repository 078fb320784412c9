"""Chaos: two API processes, a promotion through one of them. The next prediction on the
other process (sent once the promotion answered) must come from the new version: every API
process hears of an alias move at once, not when its cached serving plan expires.

Three moves under load on both processes: promote 2 via the first, back to 1 via the
second, 2 again via the first. Recovery: a move answered -> the first answer of the other
process from the new version.
"""

import time

import pytest

from server.tests.chaos.load import Load, predict
from server.tests.chaos.report import RECOVERY_BUDGET_S, ScenarioFactory
from server.tests.chaos.stack import ChaosStack

pytestmark = pytest.mark.chaos


def test_two_apis_see_a_promotion(stack: ChaosStack, scenario: ScenarioFactory) -> None:
    with (
        scenario("7. promotion seen by two API processes") as result,
        stack.worker(),
        stack.api() as first,
        stack.api() as second,
    ):
        stack.set_champion(first.base_url, 1)
        for api in (first, second):
            stack.wait_serving(api.base_url, 1)
        moves = [(first, second, 2), (second, first, 1), (first, second, 2)]
        stale: list[str] = []
        with Load([first.base_url, second.base_url], predict(stack.headers)) as load:
            for via, other, version in moves:
                time.sleep(1.0)  # load on the settled version first
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
            stack.set_champion(first.base_url, 1)
        result.count(load.outcomes)
        result.require(not stale, "next prediction on the other process: " + "; ".join(stale))
        result.notes.append(f"{len(moves)} moves, {len(stale)} stale next predictions")
    assert result.passed, result.failures
