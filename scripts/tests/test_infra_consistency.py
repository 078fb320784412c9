"""The offline Kubernetes checks of infra_consistency.py, fed broken manifests.

Run by scripts/check-infra.sh (pytest and PyYAML from uvx; kubectl on PATH):
    uvx --from pytest --with pyyaml pytest scripts/tests
"""

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

SCRIPTS = Path(__file__).resolve().parent.parent
K8S = SCRIPTS.parent / "k8s"
_spec = importlib.util.spec_from_file_location(
    "infra_consistency", SCRIPTS / "infra_consistency.py"
)
assert _spec is not None and _spec.loader is not None
infra = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(infra)

LABELS = {"app.kubernetes.io/name": "ticket-triage", "app.kubernetes.io/component": "api"}


def deployment(name: str, **spec: Any) -> dict[str, Any]:
    template = {"metadata": {"labels": LABELS}, "spec": {"containers": []}}
    return {
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"template": template, **spec},
    }


def hpa(kind: str, name: str) -> dict[str, Any]:
    ref = {"apiVersion": "apps/v1", "kind": kind, "name": name}
    return {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {"scaleTargetRef": ref},
    }


SERVICE = {
    "kind": "Service",
    "metadata": {"name": "api"},
    "spec": {"selector": LABELS, "ports": []},
}
ROLLOUT = {
    "kind": "Rollout",
    "metadata": {"name": "api"},
    "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}},
}


def test_an_autoscaled_workload_without_replicas_behind_its_service_passes() -> None:
    assert infra.scaling_problems([deployment("api"), hpa("Deployment", "api"), SERVICE]) == []


def test_replicas_on_an_autoscaled_workload_are_refused() -> None:
    problems = infra.scaling_problems([deployment("api", replicas=3), hpa("Deployment", "api")])
    assert len(problems) == 1
    assert "Deployment api sets replicas (3) but is autoscaled" in problems[0]


def test_a_keda_scaled_object_counts_as_an_autoscaler() -> None:
    scaled = {
        "kind": "ScaledObject",
        "metadata": {"name": "w"},
        "spec": {"scaleTargetRef": {"name": "w"}},
    }
    assert infra.scaling_problems([deployment("w", replicas=2), scaled]) != []


def test_the_canary_rollout_beside_a_running_deployment_is_two_workloads() -> None:
    docs = [deployment("api", replicas=3), ROLLOUT, hpa("Rollout", "api"), SERVICE]
    problems = infra.scaling_problems(docs)
    assert problems == ["Service api is backed by 2 workloads, not 1: Deployment api, Rollout api"]


def test_the_canary_rollout_with_its_deployment_at_zero_is_one_workload() -> None:
    docs = [deployment("api", replicas=0), ROLLOUT, hpa("Rollout", "api"), SERVICE]
    assert infra.scaling_problems(docs) == []


def test_a_service_with_no_workload_is_reported() -> None:
    assert infra.scaling_problems([SERVICE]) == [
        "Service api is backed by 0 workloads, not 1: none"
    ]


@pytest.fixture
def k8s_tree(tmp_path: Path) -> Path:
    """A copy of k8s/ whose overlays hold their example secrets, as check-infra renders it."""
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("secrets.env"))
    for example in tree.glob("overlays/*/secrets.env.example"):
        shutil.copy(example, example.with_name("secrets.env"))
    return tree


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl")


@needs_kubectl
def test_a_replicas_patch_in_the_prod_overlay_is_caught_with_and_without_the_canary(
    k8s_tree: Path,
) -> None:
    # The bug of issue 16: prod's own patch scaled api and worker to 3. It fights the HPAs
    # in every combination, and with the canary component enabled in the overlay (where its
    # patches run after the component) it brings the Deployment back beside the Rollout.
    kustomization = k8s_tree / "overlays/prod/kustomization.yaml"
    text = kustomization.read_text()
    broken = """patches:
  - target: {kind: Deployment, name: "api|worker"}
    patch: |-
      - op: add
        path: /spec/replicas
        value: 3
"""
    kustomization.write_text(text.replace("patches:\n", broken, 1))
    count, problems = infra.combination_problems(k8s_tree, overlays=("prod",))
    assert count == 2 ** len(list(k8s_tree.glob("components/*/kustomization.yaml")))
    assert "prod: Deployment api sets replicas (3) but is autoscaled" in "\n".join(problems)
    assert "prod: Deployment worker sets replicas (3)" in "\n".join(problems)
    assert (
        "prod+canary: Service api is backed by 2 workloads, not 1: Deployment api, Rollout api"
        in problems
    )
    # Without the canary, one workload behind the api Service.
    assert not any(p.startswith("prod: Service api") for p in problems)


@needs_kubectl
def test_replicas_in_the_base_worker_are_caught_with_the_hpa_and_with_keda(k8s_tree: Path) -> None:
    worker = k8s_tree / "base/worker.yaml"
    worker.write_text(worker.read_text().replace("\nspec:\n", "\nspec:\n  replicas: 2\n", 1))
    _, problems = infra.combination_problems(k8s_tree, overlays=("dev",))
    assert any(p.startswith("dev: Deployment worker sets replicas (2)") for p in problems)
    # KEDA replaces the worker HPA and scales the same Deployment: still caught.
    assert any(p.startswith("dev+keda: Deployment worker sets replicas (2)") for p in problems)


def test_a_dashboard_file_name_with_a_hyphen_still_gives_valid_rule_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # promtool refused `dashboard:workers-use:...`: a hyphen is no part of a metric name.
    boards = tmp_path / "ops/grafana/dashboards"
    boards.mkdir(parents=True)
    query = {"refId": "A", "datasource": infra.GRAFANA_DATASOURCE, "expr": "up"}
    panel = {"id": 3, "title": "Up", "datasource": infra.GRAFANA_DATASOURCE, "targets": [query]}
    (boards / "workers-use.json").write_text(json.dumps({"panels": [panel]}))
    monkeypatch.setattr(infra, "ROOT", tmp_path)
    target = tmp_path / "rules.yml"
    assert infra.dashboard_rules(str(target)) == 0
    [rule] = yaml.safe_load(target.read_text())["groups"][0]["rules"]
    assert rule == {"record": "dashboard:workers_use:panel3_a", "expr": "up"}
