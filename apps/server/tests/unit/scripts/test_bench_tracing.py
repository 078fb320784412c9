"""The tracing row's arithmetic: traced ÷ untraced req/s paired within each round, judged
against the 5 % budget on the median. Figures are made up."""

from typing import Any

from server.scripts.bench import report, rounds, stack, tracing
from server.scripts.bench.load import Target
from server.tests.unit.scripts.test_bench_figures import figures


def rounds_with_tracing(traced: list[float], untraced: list[float]) -> list[dict[str, Any]]:
    return [
        {
            "floor": figures(6000, 15),
            tracing.UNTRACED_ROW: figures(plain, 40),
            tracing.TRACED_ROW: figures(on, 42),
        }
        for on, plain in zip(traced, untraced, strict=True)
    ]


def test_the_ratio_is_paired_within_each_round_and_judged_on_its_median() -> None:
    # Round 2 ran on a busier machine: both rows fell, their ratio did not.
    measured = rounds_with_tracing(traced=[1940, 970, 1800], untraced=[2000, 1000, 1875])
    result = tracing.overhead(measured)
    assert result is not None
    assert result["ratio"] == {"median": 0.97, "min": 0.96, "max": 0.97}
    assert result["overhead"] == 0.03
    assert result["met"] is True
    assert result["sample_ratio"] == 0.1


def test_more_than_five_percent_lost_is_not_met() -> None:
    result = tracing.overhead(rounds_with_tracing(traced=[900, 920], untraced=[1000, 1000]))
    assert result is not None
    assert result["overhead"] == 0.09
    assert result["met"] is False
    goal = tracing.goal(result)
    assert goal["target"] == "<= 5%"
    assert goal["measured"].startswith("9.0%")
    assert goal["met"] is False


def test_without_the_traced_row_there_is_nothing_to_report() -> None:
    assert tracing.overhead([{"floor": figures(6000, 15)}]) is None


def test_the_traced_row_measures_the_same_requests_on_the_traced_api() -> None:
    target = Target(tracing.UNTRACED_ROW, "POST", "/api/v1/predictions", ('{"texts":["a"]}',))
    untraced = rounds.Endpoint(tracing.UNTRACED_ROW, "POST predictions", "http://a:1", target)
    traced_api = stack.Stack("http://a:2", "", env={}, processes={}, logs={})
    row = tracing.traced_row([untraced], traced_api)
    assert (row.name, row.base_url, row.target) == (tracing.TRACED_ROW, "http://a:2", target)
    assert "tracing on (ratio 0.1)" in row.label


def test_the_goal_is_listed_with_the_others() -> None:
    result = tracing.overhead(rounds_with_tracing(traced=[980], untraced=[1000]))
    assert result is not None
    summary = rounds.summarize(rounds_with_tracing(traced=[980], untraced=[1000]))
    goals = [*report.judge(summary, {"available": False}), tracing.goal(result)]
    assert goals[-1]["measured"] == "2.0% (traced ÷ untraced 0.98)"
    assert goals[-1]["met"] is True
