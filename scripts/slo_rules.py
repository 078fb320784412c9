"""Prometheus rules of the service level objectives, generated from ops/slo/slos.yml.

    python scripts/slo_rules.py           # fail when ops/prometheus/rules/slo.yml is stale
    python scripts/slo_rules.py --write   # regenerate it, and the k8s PrometheusRule

Needs PyYAML (check-infra runs it through uvx, like infra_consistency.py). The generated
file holds, per SLO: its error ratio over every window that a policy or the period uses
(`slo:sli_error:ratio_rate<window>{slo}`), its objective (`slo:objective:ratio`), the share
of its error budget left over the period (`slo:error_budget_remaining:ratio`), and one
multiwindow burn-rate alert per policy (`<alert><policy>`, e.g. PredictionsLatencyFastBurn).
"""

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "ops/slo/slos.yml"
TARGET = ROOT / "ops/prometheus/rules/slo.yml"
HTTP_METRICS = ROOT / "apps/server/core/metrics.py"
RUNBOOK = "docs/runbooks/slo.md"
WINDOW = re.compile(r"^(\d+)([mhd])$")
SECONDS = {"m": 60, "h": 3600, "d": 86400}
KINDS = ("availability", "latency")
SEVERITIES = ("critical", "warning")
NAME = re.compile(r"^[a-z][a-z0-9-]*$")
ALERT = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# Long windows scan days of samples: evaluated once a minute, not at every global interval.
LONG_WINDOW_S = 86400
LONG_INTERVAL = "1m"

HEADER = """\
# GENERATED from ops/slo/slos.yml by scripts/slo_rules.py: do not edit. Change objectives,
# windows or burn rates there, then run
#   uvx --from pyyaml python scripts/slo_rules.py --write
# scripts/check-infra.sh fails when this file differs from what that command writes.
# An empty numerator (no bad request yet) counts as 0 bad, not as no data.
"""


def shown(path: Path) -> Path:
    """A path as messages show it: relative to the repository when inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


class SloError(ValueError):
    """ops/slo/slos.yml is not valid."""


def seconds(window: str) -> int:
    """A window such as `5m`, `6h` or `30d` in seconds."""
    match = WINDOW.match(window)
    if match is None:
        raise SloError(f"window {window!r} is not <number><m|h|d>")
    return int(match.group(1)) * SECONDS[match.group(2)]


def number(value: float) -> str:
    """A float as PromQL and prose show it: 0.005, 14.4, 6."""
    return f"{round(value, 10):g}"


def latency_buckets() -> tuple[float, ...]:
    """The bucket bounds of http_request_duration_seconds: LATENCY_BUCKETS in the code."""
    tree = ast.parse(HTTP_METRICS.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "LATENCY_BUCKETS" for t in node.targets
        ):
            return tuple(float(v) for v in ast.literal_eval(node.value))
    raise SloError(f"no LATENCY_BUCKETS in {shown(HTTP_METRICS)}")


@dataclass(frozen=True)
class Policy:
    name: str
    severity: str
    long_window: str
    short_window: str
    burn_rate: float


@dataclass(frozen=True)
class Slo:
    name: str
    alert: str
    title: str
    kind: str
    objective: float
    selector: str
    threshold_s: float | None

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 10)

    @property
    def bad(self) -> str:
        """What makes a request bad, in words."""
        if self.kind == "availability":
            return "answered 5xx"
        return f"took over {number(float(self.threshold_s or 0) * 1000)} ms"

    def ratio(self, window: str) -> str:
        """PromQL: the share of bad requests over `window`."""
        sel = self.selector
        if self.kind == "availability":
            bad = f'http_requests_total{{{sel}, status=~"5.."}}'
            total = f"http_requests_total{{{sel}}}"
        else:
            le = repr(float(self.threshold_s or 0))
            total = f"http_request_duration_seconds_count{{{sel}}}"
            fast = f'http_request_duration_seconds_bucket{{{sel}, le="{le}"}}'
            return (
                f"(\n  sum(rate({total}[{window}]))\n    -\n  sum(rate({fast}[{window}]))\n)\n"
                f"  /\nsum(rate({total}[{window}]))"
            )
        return f"(sum(rate({bad}[{window}])) or vector(0))\n  /\nsum(rate({total}[{window}]))"


def parse(
    source: dict[str, Any], buckets: tuple[float, ...]
) -> tuple[str, list[Policy], list[Slo]]:
    """Validate slos.yml: the period, the policies and the SLOs."""
    period = str(source["period"])
    seconds(period)
    policies = [Policy(**p) for p in source["policies"]]
    for p in policies:
        if not ALERT.match(p.name) or p.severity not in SEVERITIES:
            raise SloError(f"policy {p.name!r}: CamelCase name, severity one of {SEVERITIES}")
        if not seconds(p.short_window) < seconds(p.long_window) <= seconds(period):
            raise SloError(f"policy {p.name}: short window < long window <= period")
        if p.burn_rate <= 0:
            raise SloError(f"policy {p.name}: burn_rate must be positive")
    slos = []
    for fields in source["slos"]:
        slo = Slo(**{"threshold_s": None, **fields})
        where = f"slo {slo.name!r}"
        if not NAME.match(slo.name) or not ALERT.match(slo.alert) or slo.kind not in KINDS:
            raise SloError(f"{where}: name kebab-case, alert CamelCase, kind one of {KINDS}")
        if not 0 < slo.objective < 1:
            raise SloError(f"{where}: objective must be between 0 and 1")
        if (slo.kind == "latency") != (slo.threshold_s is not None):
            raise SloError(f"{where}: threshold_s is for latency SLOs, and they need one")
        if slo.threshold_s is not None and float(slo.threshold_s) not in buckets:
            raise SloError(
                f"{where}: threshold_s {slo.threshold_s} is not a bucket bound of "
                f"http_request_duration_seconds {buckets}: the ratio would be interpolated"
            )
        slos.append(slo)
    if len({s.name for s in slos}) != len(slos) or len({s.alert for s in slos}) != len(slos):
        raise SloError("SLO names and alert prefixes must be unique")
    return period, policies, slos


def block(text: str, indent: int) -> str:
    """A YAML block scalar's lines, indented."""
    return "".join(" " * indent + line + "\n" for line in text.splitlines())


def record(name: str, expr: str, slo: str, comment: str = "") -> str:
    lines = f"      # {comment}\n" if comment else ""
    lines += f"      - record: {name}\n"
    lines += f"        expr: |\n{block(expr, 10)}" if "\n" in expr else f"        expr: {expr}\n"
    return lines + f"        labels:\n          slo: {slo}\n"


def alert(slo: Slo, policy: Policy, period: str) -> str:
    threshold = f"({number(policy.burn_rate)} * {number(slo.budget)})"
    series = f'{{slo="{slo.name}"}}'
    expr = (
        f"slo:sli_error:ratio_rate{policy.long_window}{series} > {threshold}\n  and\n"
        f"slo:sli_error:ratio_rate{policy.short_window}{series} > {threshold}"
    )
    lasts = number(round(seconds(period) / policy.burn_rate / 86400, 1))
    bad = number(policy.burn_rate * slo.budget * 100)
    windows = f"{policy.long_window} and {policy.short_window}"
    return (
        f"      - alert: {slo.alert}{policy.name}\n"
        f"        expr: |\n{block(expr, 10)}"
        f"        labels:\n          severity: {policy.severity}\n"
        f"        annotations:\n"
        f'          summary: "{slo.title}: error budget burning at {number(policy.burn_rate)}x '
        f'({windows})"\n'
        f'          description: "Over {bad} % of requests {slo.bad} in both the last {windows}: '
        f"the {period} budget ({number(slo.objective * 100)} %) is gone in {lasts} days at "
        f'this rate."\n'
        f'          runbook_url: "{RUNBOOK}#{policy.name.lower()}"\n'
    )


def render(period: str, policies: list[Policy], slos: list[Slo]) -> str:
    """The rule file's text: recording groups (short and long windows), then the alerts."""
    used = {w for p in policies for w in (p.long_window, p.short_window)} | {period}
    windows = sorted(used, key=seconds)
    short = [w for w in windows if seconds(w) < LONG_WINDOW_S]
    long = [w for w in windows if seconds(w) >= LONG_WINDOW_S]
    out = [HEADER, "groups:\n"]
    out.append("  - name: ticket-triage.slo.recording\n    rules:\n")
    for slo in slos:
        out.append(record("slo:objective:ratio", f"vector({number(slo.objective)})", slo.name))
        for i, w in enumerate(short):
            comment = f"{slo.name}: share of bad requests" if i == 0 else ""
            out.append(record(f"slo:sli_error:ratio_rate{w}", slo.ratio(w), slo.name, comment))
    out.append(
        f"\n  - name: ticket-triage.slo.recording-long\n    interval: {LONG_INTERVAL}\n    rules:\n"
    )
    for slo in slos:
        for w in long:
            out.append(record(f"slo:sli_error:ratio_rate{w}", slo.ratio(w), slo.name))
        remaining = (
            f'1 - slo:sli_error:ratio_rate{period}{{slo="{slo.name}"}} / {number(slo.budget)}'
        )
        comment = f"{slo.name}: 1 = the whole budget left over {period}, 0 = spent, < 0 = overspent"
        out.append(record("slo:error_budget_remaining:ratio", remaining, slo.name, comment))
    out.append("\n  - name: ticket-triage.slo.alerts\n    rules:\n")
    out.extend(alert(slo, policy, period) for slo in slos for policy in policies)
    return "".join(out)


def generate() -> str:
    return render(*parse(yaml.safe_load(SOURCE.read_text()), latency_buckets()))


def main(argv: list[str]) -> int:
    try:
        text = generate()
    except (SloError, KeyError, TypeError) as error:
        print(f"error: {shown(SOURCE)}: {error}", file=sys.stderr)
        return 1
    if argv == ["--write"]:
        TARGET.write_text(text)
        print(f"wrote {shown(TARGET)}")
        # The operator's PrometheusRule carries every rule file: regenerate it too.
        # Imported here: scripts/ is on sys.path when this file runs as a script.
        import infra_consistency

        return infra_consistency.check_rules_sync(write=True)
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    if not TARGET.is_file() or TARGET.read_text() != text:
        print(
            f"error: {shown(TARGET)} is stale: regenerate it from "
            f"{shown(SOURCE)} with `python scripts/slo_rules.py --write`",
            file=sys.stderr,
        )
        return 1
    print(f"{shown(TARGET)} is what {shown(SOURCE)} generates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
