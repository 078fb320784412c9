"""Consistency checks of the shipping infrastructure that no linter knows about.

Run by scripts/check-infra.sh in an isolated environment with PyYAML:

    python scripts/infra_consistency.py versions        # version.txt == manifest == prod image tag
    python scripts/infra_consistency.py rules-sync      # PrometheusRule == ops/prometheus/rules
    python scripts/infra_consistency.py compose-images  # every compose image pinned to a tag
    python scripts/infra_consistency.py strip-secrets IN OUT  # drop Secret objects from a render
    python scripts/infra_consistency.py analysis-rules OUT    # canary PromQL as rules for promtool
"""

import glob
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def check_versions() -> int:
    """version.txt, the release-please manifest and the prod overlay's image tag agree
    (the image tag only for a release version: prereleases are not deployed)."""
    version = (ROOT / "version.txt").read_text().strip()
    manifest = json.loads((ROOT / ".release-please-manifest.json").read_text())
    overlay = yaml.safe_load((ROOT / "k8s/overlays/prod/kustomization.yaml").read_text())
    images = overlay.get("images", [])
    tags = [i.get("newTag") for i in images if i["name"] == "ticket-triage-server"]
    found = {
        "version.txt": version,
        ".release-please-manifest.json ['.']": manifest.get("."),
        "k8s/overlays/prod images[ticket-triage-server].newTag": tags[0] if tags else None,
    }
    if not SEMVER.match(version):
        return fail(f"version.txt is not a SemVer version: {version!r}")
    if "-" in version:
        # The prerelease branch bumps version.txt to x.y.z-rc.n; prereleases are not
        # deployed, so the prod overlay keeps naming the last release there.
        del found["k8s/overlays/prod images[ticket-triage-server].newTag"]
    if len(set(found.values())) != 1:
        return fail("versions disagree: " + ", ".join(f"{k} = {v!r}" for k, v in found.items()))
    print(f"version {version}: " + ", ".join(found) + " agree")
    return 0


def check_rules_sync() -> int:
    """The operator's PrometheusRule carries exactly the groups of the compose stack's rules."""
    groups: list[Any] = []
    for path in sorted(glob.glob(str(ROOT / "ops/prometheus/rules/*.yml"))):
        groups.extend(yaml.safe_load(Path(path).read_text())["groups"])
    rule = yaml.safe_load((ROOT / "k8s/components/monitoring/prometheusrule.yaml").read_text())
    if rule["spec"]["groups"] != groups:
        ours = [g["name"] for g in groups]
        theirs = [g["name"] for g in rule["spec"]["groups"]]
        return fail(
            "k8s/components/monitoring/prometheusrule.yaml differs from ops/prometheus/rules/*.yml "
            f"(groups {theirs} vs {ours}); copy the rules over"
        )
    print(f"PrometheusRule carries the {len(groups)} rule groups of ops/prometheus/rules")
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


def main(argv: list[str]) -> int:
    commands = {
        "versions": check_versions,
        "rules-sync": check_rules_sync,
        "compose-images": check_compose_images,
    }
    if len(argv) == 3 and argv[0] == "strip-secrets":
        return strip_secrets(argv[1], argv[2])
    if len(argv) == 2 and argv[0] == "analysis-rules":
        return analysis_rules(argv[1])
    if len(argv) == 1 and argv[0] in commands:
        return commands[argv[0]]()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
