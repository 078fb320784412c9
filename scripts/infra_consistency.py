"""Consistency checks of the shipping infrastructure that no linter knows about.

Run by scripts/check-infra.sh in an isolated environment with PyYAML:

    python scripts/infra_consistency.py versions        # version.txt == manifest == prod image tags
    python scripts/infra_consistency.py rules-sync      # PrometheusRule == ops/prometheus/rules
    python scripts/infra_consistency.py rules-sync --write  # regenerate the PrometheusRule
    python scripts/infra_consistency.py rules-tested    # every alert has a firing and a quiet test
    python scripts/infra_consistency.py compose-images  # every compose image pinned to a tag
    python scripts/infra_consistency.py strip-secrets IN OUT  # drop Secret objects from a render
    python scripts/infra_consistency.py k8s-wiring RENDER...  # Ingress -> Service -> pods, ports
    python scripts/infra_consistency.py k8s-combinations TREE # every overlay x component set:
                                                              # autoscaled replicas, one workload
                                                              # per Service
    python scripts/infra_consistency.py analysis-rules OUT    # canary PromQL as rules for promtool
    python scripts/infra_consistency.py dashboard-rules OUT   # dashboards' PromQL, likewise
"""

import glob
import itertools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
# The images deploy.yml builds for a release, each tagged with the version.
PROD_IMAGES = ("ticket-triage-server", "ticket-triage-client", "ticket-triage-server-gpu")


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def check_versions() -> int:
    """version.txt, the release-please manifest and the prod overlay's image tags agree
    (the image tags only for a release version: prereleases are not deployed)."""
    version = (ROOT / "version.txt").read_text().strip()
    manifest = json.loads((ROOT / ".release-please-manifest.json").read_text())
    overlay = yaml.safe_load((ROOT / "k8s/overlays/prod/kustomization.yaml").read_text())
    images = overlay.get("images", [])
    found = {
        "version.txt": version,
        ".release-please-manifest.json ['.']": manifest.get("."),
    }
    image_keys = []
    for name in PROD_IMAGES:
        tags = [i.get("newTag") for i in images if i["name"] == name]
        key = f"k8s/overlays/prod images[{name}].newTag"
        found[key] = tags[0] if tags else None
        image_keys.append(key)
    if not SEMVER.match(version):
        return fail(f"version.txt is not a SemVer version: {version!r}")
    if "-" in version:
        # The prerelease branch bumps version.txt to x.y.z-rc.n; prereleases are not
        # deployed, so the prod overlay keeps naming the last release there.
        for key in image_keys:
            del found[key]
    if len(set(found.values())) != 1:
        return fail("versions disagree: " + ", ".join(f"{k} = {v!r}" for k, v in found.items()))
    print(f"version {version}: " + ", ".join(found) + " agree")
    return 0


RULES_DIR = ROOT / "ops/prometheus/rules"
RULE_TESTS_DIR = ROOT / "ops/prometheus/tests"
PROMETHEUS_RULE = ROOT / "k8s/components/monitoring/prometheusrule.yaml"
PROMETHEUS_RULE_HEADER = """\
# GENERATED from ops/prometheus/rules/*.yml: do not edit. After changing a rule file, run
#   uvx --from pyyaml python scripts/infra_consistency.py rules-sync --write
# scripts/check-infra.sh fails when this file differs from what that command writes.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: ticket-triage
  labels:
    app.kubernetes.io/name: ticket-triage
    release: kube-prometheus-stack
spec:
  groups:
"""


def rule_files() -> list[Path]:
    return [Path(p) for p in sorted(glob.glob(str(RULES_DIR / "*.yml")))]


def render_prometheus_rule() -> str:
    """The PrometheusRule as text: each rule file's `groups:` list, indented under `spec`,
    comments and block scalars kept as they are written."""
    parts = [PROMETHEUS_RULE_HEADER]
    for path in rule_files():
        lines = path.read_text().splitlines()
        if "groups:" not in lines:
            raise ValueError(f"{path.relative_to(ROOT)}: no top-level `groups:` line")
        body = lines[lines.index("groups:") + 1 :]
        parts.append(f"    # from {path.relative_to(ROOT)}\n")
        parts.extend(f"  {line}\n" if line.strip() else "\n" for line in body)
    return "".join(parts)


def check_rules_sync(write: bool = False) -> int:
    """The operator's PrometheusRule carries exactly the groups of the compose stack's rules
    (it is generated from them; `write` regenerates it)."""
    rendered = render_prometheus_rule()
    if write:
        PROMETHEUS_RULE.write_text(rendered)
        print(f"wrote {PROMETHEUS_RULE.relative_to(ROOT)}")
        return 0
    groups: list[Any] = []
    for path in rule_files():
        groups.extend(yaml.safe_load(path.read_text())["groups"])
    rule = yaml.safe_load(PROMETHEUS_RULE.read_text())
    if yaml.safe_load(rendered)["spec"]["groups"] != groups:  # a bug of the generator
        return fail("the generated PrometheusRule does not parse to the rule files' groups")
    if rule["spec"]["groups"] != groups or PROMETHEUS_RULE.read_text() != rendered:
        ours = [g["name"] for g in groups]
        theirs = [g["name"] for g in rule["spec"]["groups"]]
        return fail(
            "k8s/components/monitoring/prometheusrule.yaml differs from ops/prometheus/rules/*.yml "
            f"(groups {theirs} vs {ours}); regenerate it: "
            "python scripts/infra_consistency.py rules-sync --write"
        )
    print(f"PrometheusRule carries the {len(groups)} rule groups of ops/prometheus/rules")
    return 0


def check_rules_tested() -> int:
    """Every rule file is loaded by a promtool test, and every alert has a test case where it
    fires and one where it stays quiet (promtool itself accepts untested alerts)."""
    alerts: dict[str, str] = {}
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    alerts[rule["alert"]] = path.name
    loaded: set[str] = set()
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in sorted(RULE_TESTS_DIR.glob("*.yml")):
        suite = yaml.safe_load(path.read_text())
        loaded.update(Path(f).name for f in suite.get("rule_files", []))
        for test in suite.get("tests", []):
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    problems = [
        f"{name} is loaded by no test in ops/prometheus/tests"
        for name in sorted({p.name for p in rule_files()} - loaded)
    ]
    for alert, source in sorted(alerts.items()):
        if alert not in firing:
            problems.append(f"{alert} ({source}) has no test case where it fires")
        if alert not in quiet:
            problems.append(f"{alert} ({source}) has no test case where it stays quiet")
    problems += [f"test of unknown alert {a}" for a in sorted((firing | quiet) - set(alerts))]
    if problems:
        return fail("alert rule tests incomplete:\n  " + "\n  ".join(problems))
    print(f"each of the {len(alerts)} alerts has a firing and a quiet promtool test")
    return 0


def check_compose_images() -> int:
    """Third-party images of the compose stack are pinned to an explicit, non-latest tag."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bad = []
    for name, service in compose["services"].items():
        image = service.get("image", "")
        if "${" in image:  # our own image: name and tag come from .env
            continue
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
        if not tag or tag == "latest":
            bad.append(f"{name}: {image!r}")
    if bad:
        return fail("compose images without a pinned tag: " + "; ".join(bad))
    print("every third-party compose image is pinned to a tag")
    return 0


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def port_matches(port: Any, named: dict[str, int], numbers: set[int]) -> bool:
    """A port reference (a name or a number) is one of the given ports."""
    return port in named if isinstance(port, str) else port in numbers


def wiring_problems(docs: list[Any]) -> list[str]:
    """Every Ingress backend is a Service with that port; every Service with a selector
    selects the pods of a workload that has the port the Service targets."""
    problems = []
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    pods = [d["spec"]["template"] for d in docs if d["kind"] in WORKLOAD_KINDS]
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                where = f"Ingress {ingress['metadata']['name']} {path['path']}"
                service = services.get(backend["name"])
                if service is None:
                    problems.append(f"{where}: no Service {backend['name']}")
                    continue
                ports = service["spec"]["ports"]
                wanted = backend["port"].get("name", backend["port"].get("number"))
                named = {p["name"]: p["port"] for p in ports if "name" in p}
                if not port_matches(wanted, named, {p["port"] for p in ports}):
                    problems.append(f"{where}: Service {backend['name']} has no port {wanted}")
    for name, service in services.items():
        selector = service["spec"].get("selector")
        if not selector:
            continue
        selected = [
            pod for pod in pods if selector.items() <= (pod["metadata"].get("labels") or {}).items()
        ]
        if not selected:
            problems.append(f"Service {name}: selects no workload's pods ({selector})")
            continue
        containers = [c for pod in selected for c in pod["spec"]["containers"]]
        named = {p["name"]: p["containerPort"] for c in containers for p in c.get("ports", [])}
        numbers = {p["containerPort"] for c in containers for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if not port_matches(target, named, numbers):
                problems.append(f"Service {name}: its pods have no port {target}")
    return problems


def check_k8s_wiring(renders: list[str]) -> int:
    """Wiring of rendered overlays that no schema sees (see wiring_problems)."""
    problems = []
    for render in renders:
        docs = [d for d in yaml.safe_load_all(Path(render).read_text()) if d]
        problems += [f"{Path(render).name}: {p}" for p in wiring_problems(docs)]
    if problems:
        return fail("Kubernetes wiring:\n  " + "\n  ".join(problems))
    print(f"{len(renders)} renders: every Ingress backend and Service reaches pods with its port")
    return 0


SCALABLE_KINDS = ("Deployment", "StatefulSet", "Rollout")
ROLLOUT_API = "argoproj.io/v1alpha1"


def autoscaled(docs: list[Any]) -> set[tuple[str, str]]:
    """(kind, name) of every workload an HPA or a KEDA ScaledObject scales."""
    targets = set()
    for doc in docs:
        if doc["kind"] in ("HorizontalPodAutoscaler", "ScaledObject"):
            ref = doc["spec"]["scaleTargetRef"]
            targets.add((ref.get("kind", "Deployment"), ref["name"]))
    return targets


def pod_labels(workload: Any, workloads: dict[tuple[str, str], Any]) -> dict[str, str]:
    """The labels of a workload's pods; a Rollout with a workloadRef borrows its target's."""
    spec = workload["spec"]
    if "template" in spec:
        return spec["template"]["metadata"].get("labels") or {}
    ref = spec.get("workloadRef")
    target = workloads.get((ref["kind"], ref["name"])) if ref else None
    return pod_labels(target, workloads) if target else {}


def scaling_problems(docs: list[Any]) -> list[str]:
    """Replicas are the autoscalers' to set: no autoscaled workload declares `replicas`
    (every apply would reset what the autoscaler did). And each Service that balances
    traffic (not headless) is backed by exactly one workload that is not scaled to 0: two
    (a Deployment beside the Rollout that should replace it) split the traffic behind the
    rollout's back."""
    problems = []
    workloads = {(d["kind"], d["metadata"]["name"]): d for d in docs if d["kind"] in SCALABLE_KINDS}
    for kind, name in sorted(autoscaled(docs)):
        workload = workloads.get((kind, name))
        if workload is None:
            problems.append(f"an autoscaler targets {kind} {name}, which is not rendered")
        elif "replicas" in workload["spec"]:
            problems.append(
                f"{kind} {name} sets replicas ({workload['spec']['replicas']}) but is "
                "autoscaled: every apply resets the count; leave it to the autoscaler"
            )
    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"].get("selector")
        if not selector or service["spec"].get("clusterIP") == "None":
            continue
        backing = sorted(
            f"{kind} {name}"
            for (kind, name), workload in workloads.items()
            if workload["spec"].get("replicas", 1) != 0
            and selector.items() <= pod_labels(workload, workloads).items()
        )
        if len(backing) != 1:
            problems.append(
                f"Service {service['metadata']['name']} is backed by {len(backing)} "
                f"workloads, not 1: {', '.join(backing) or 'none'}"
            )
    return problems


def overlay_combinations(tree: Path, overlays: tuple[str, ...] = ()) -> list[tuple[str, Path]]:
    """Under `tree` (a copy of k8s/ with a secrets.env in each overlay), a copy of each
    overlay for every subset of the components, listed in the overlay's own kustomization as
    a user enables them (so the overlay's patches run after the components): name, dir.
    `overlays` limits it to those overlays."""
    components = sorted(p.parent.name for p in tree.glob("components/*/kustomization.yaml"))
    combos = []
    for overlay in sorted(p.parent for p in tree.glob("overlays/*/kustomization.yaml")):
        if overlays and overlay.name not in overlays:
            continue
        for size in range(len(components) + 1):
            for subset in itertools.combinations(components, size):
                name = "+".join((overlay.name, *subset))
                target = overlay if not subset else tree / "combinations" / name
                if subset:
                    shutil.copytree(overlay, target)
                    path = target / "kustomization.yaml"
                    kustomization = yaml.safe_load(path.read_text())
                    listed = kustomization.setdefault("components", [])
                    listed += [f"../../components/{c}" for c in subset if c not in str(listed)]
                    # The copy sits as deep as the overlay: its relative paths still resolve.
                    path.write_text(yaml.safe_dump(kustomization, sort_keys=False))
                combos.append((name, target))
    return combos


def render(directory: Path) -> list[Any]:
    """`kubectl kustomize` (the kustomize the deploy uses) of one directory, parsed."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ValueError(f"kubectl kustomize {directory.name}: {result.stderr.strip()}")
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def combination_problems(source: Path, overlays: tuple[str, ...] = ()) -> tuple[int, list[str]]:
    """Render every overlay (or those named) with every subset of the components from a
    scratch copy of `source` (a k8s/ tree whose overlays hold a secrets.env): how many
    renders, and the problems that scaling_problems and wiring_problems find in them."""

    def problems_of(combo: tuple[str, Path]) -> list[str]:
        name, directory = combo
        try:
            docs = render(directory)
        except ValueError as error:
            return [str(error)]
        return [f"{name}: {p}" for p in scaling_problems(docs) + wiring_problems(docs)]

    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "k8s"
        shutil.copytree(source, tree)
        combos = overlay_combinations(tree, overlays)
        # kubectl processes, mostly waiting on their own start-up: a few at a time.
        with ThreadPoolExecutor(max_workers=4) as pool:
            found = list(pool.map(problems_of, combos))
    return len(combos), [p for problems in found for p in problems]


def check_k8s_combinations(source: str) -> int:
    """See combination_problems."""
    count, problems = combination_problems(Path(source))
    if problems:
        return fail("Kubernetes overlays and components:\n  " + "\n  ".join(problems))
    print(
        f"{count} overlay/component combinations: no autoscaled workload sets replicas, "
        "each Service is backed by one workload"
    )
    return 0


def strip_secrets(source: str, target: str) -> int:
    """Copy a rendered manifest without its Secret objects.

    The Secrets are rendered from the committed *.env.example placeholders, which the secrets
    scan already covers at their source; scanning their base64 form only adds noise.
    """
    docs = [d for d in yaml.safe_load_all(Path(source).read_text()) if d]
    kept = [d for d in docs if d.get("kind") != "Secret"]
    Path(target).write_text(yaml.safe_dump_all(kept, sort_keys=False))
    return 0


def analysis_rules(target: str) -> int:
    """Write the canary AnalysisTemplate's PromQL queries as recording rules, with their
    `{{args.*}}` placeholders filled in, so that `promtool check rules` parses them."""
    rules = []
    for path in sorted(glob.glob(str(ROOT / "k8s/components/*/analysistemplate.yaml"))):
        template = yaml.safe_load(Path(path).read_text())
        for metric in template["spec"]["metrics"]:
            query = metric["provider"]["prometheus"]["query"]
            query = re.sub(r"\{\{\s*args\.[a-z0-9-]+\s*\}\}", "placeholder", query)
            rules.append({"record": f"analysis:{metric['name'].replace('-', '_')}", "expr": query})
    if not rules:
        return fail("no AnalysisTemplate queries found")
    groups = {"groups": [{"name": "analysis-templates", "rules": rules}]}
    Path(target).write_text(yaml.safe_dump(groups, sort_keys=False))
    return 0


GRAFANA_DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRAFANA_RANGE_VARIABLES = re.compile(r"\$__(?:rate_interval|interval|range)\b")
GRAFANA_VARIABLES = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def dashboard_panels(panels: list[Any]) -> list[Any]:
    """Every panel, those inside collapsed rows included."""
    found = []
    for panel in panels:
        found.append(panel)
        found.extend(dashboard_panels(panel.get("panels", [])))
    return found


def dashboard_rules(target: str) -> int:
    """Write every dashboard panel query as a recording rule, Grafana's variables replaced by
    plain values, so that `promtool check rules` parses them; and check that each panel and
    query uses the `${datasource}` variable (the provisioned uid is not the same everywhere)."""
    rules, problems = [], []
    for path in sorted(glob.glob(str(ROOT / "ops/grafana/dashboards/*.json"))):
        board = json.loads(Path(path).read_text())
        name = Path(path).stem
        record_prefix = f"dashboard:{re.sub(r'[^A-Za-z0-9_]', '_', name)}"  # a valid metric name
        for panel in dashboard_panels(board["panels"]):
            if panel.get("type") == "row":
                continue
            where = f"{name}.json panel {panel['id']} ({panel['title']})"
            if panel.get("datasource") != GRAFANA_DATASOURCE:
                problems.append(f"{where}: datasource is not {GRAFANA_DATASOURCE}")
            for query in panel.get("targets", []):
                if query.get("datasource") != GRAFANA_DATASOURCE:
                    problems.append(f"{where} {query['refId']}: datasource is not the variable")
                expr = GRAFANA_RANGE_VARIABLES.sub("5m", query["expr"])
                expr = GRAFANA_VARIABLES.sub("placeholder", expr)
                record = f"{record_prefix}:panel{panel['id']}_{query['refId'].lower()}"
                rules.append({"record": record, "expr": expr})
    if problems:
        return fail("dashboards:\n  " + "\n  ".join(problems))
    if not rules:
        return fail("no dashboard queries found")
    groups = {"groups": [{"name": "grafana-dashboards", "rules": rules}]}
    Path(target).write_text(yaml.safe_dump(groups, sort_keys=False))
    return 0


def main(argv: list[str]) -> int:
    commands = {
        "versions": check_versions,
        "rules-sync": check_rules_sync,
        "rules-tested": check_rules_tested,
        "compose-images": check_compose_images,
    }
    if argv == ["rules-sync", "--write"]:
        return check_rules_sync(write=True)
    if len(argv) == 3 and argv[0] == "strip-secrets":
        return strip_secrets(argv[1], argv[2])
    if len(argv) >= 2 and argv[0] == "k8s-wiring":
        return check_k8s_wiring(argv[1:])
    if len(argv) == 2 and argv[0] == "k8s-combinations":
        return check_k8s_combinations(argv[1])
    if len(argv) == 2 and argv[0] == "analysis-rules":
        return analysis_rules(argv[1])
    if len(argv) == 2 and argv[0] == "dashboard-rules":
        return dashboard_rules(argv[1])
    if len(argv) == 1 and argv[0] in commands:
        return commands[argv[0]]()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
