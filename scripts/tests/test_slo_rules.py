"""scripts/slo_rules.py: the SLO rules are generated from ops/slo/slos.yml, a stale copy fails
check-infra, and a slos.yml the rules cannot honour is refused.

Run by scripts/check-infra.sh (pytest and PyYAML from uvx):
    uvx --from pytest --with pyyaml pytest scripts/tests
"""

import copy
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

SCRIPTS = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("slo_rules", SCRIPTS / "slo_rules.py")
assert _spec is not None and _spec.loader is not None
slo_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(slo_rules)

SOURCE: dict[str, Any] = yaml.safe_load(slo_rules.SOURCE.read_text())
BUCKETS = slo_rules.latency_buckets()


def source(**changes: Any) -> dict[str, Any]:
    """A copy of slos.yml with its first latency SLO changed."""
    copied = copy.deepcopy(SOURCE)
    latency = next(s for s in copied["slos"] if s["kind"] == "latency")
    latency.update(changes)
    return copied


def test_the_committed_rules_are_what_slos_yml_generates() -> None:
    assert slo_rules.main([]) == 0


def test_a_stale_rule_file_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "slo.yml"
    stale.write_text(slo_rules.TARGET.read_text().replace("vector(0.995)", "vector(0.999)"))
    monkeypatch.setattr(slo_rules, "TARGET", stale)
    assert slo_rules.main([]) == 1
    monkeypatch.setattr(slo_rules, "TARGET", tmp_path / "missing.yml")
    assert slo_rules.main([]) == 1


def test_every_window_of_the_policies_and_the_period_is_recorded() -> None:
    rules = yaml.safe_load(slo_rules.generate())
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    windows = {w for p in SOURCE["policies"] for w in (p["long_window"], p["short_window"])}
    windows.add(SOURCE["period"])
    assert {f"slo:sli_error:ratio_rate{w}" for w in windows} <= recorded
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) == len(SOURCE["slos"]) * len(SOURCE["policies"])


def test_the_latency_threshold_is_a_bucket_bound_of_the_http_histogram() -> None:
    assert 0.1 in BUCKETS
    slo_rules.parse(source(threshold_s=0.1), BUCKETS)
    with pytest.raises(slo_rules.SloError, match="not a bucket bound"):
        slo_rules.parse(source(threshold_s=0.15), BUCKETS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"objective": 1.0}, "between 0 and 1"),
        ({"kind": "throughput"}, "kind one of"),
        ({"threshold_s": None}, "threshold_s"),
        ({"alert": "PredictionsAvailability"}, "unique"),
    ],
)
def test_an_slo_the_rules_cannot_honour_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(slo_rules.SloError, match=message):
        slo_rules.parse(source(**changes), BUCKETS)


def test_a_short_window_longer_than_the_long_one_is_refused() -> None:
    broken = copy.deepcopy(SOURCE)
    broken["policies"][0]["short_window"] = "2h"
    with pytest.raises(slo_rules.SloError, match="short window < long window"):
        slo_rules.parse(broken, BUCKETS)
