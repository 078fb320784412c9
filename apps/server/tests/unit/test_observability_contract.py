"""The observability contract between the code and `ops/`.

Every metric an alert rule (`ops/prometheus/rules/*.yml`) or a Grafana panel
(`ops/grafana/dashboards/*.json`) queries must be one the code exports: a renamed metric
otherwise leaves an alert that can never fire and a panel that shows "No data", and
nothing else notices. Every alert must also say how bad it is and where its runbook is.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from server.core import genai_metrics, ml_metrics
from server.core import metrics as http_metrics
from server.worker import metrics as worker_metrics

REPO = Path(__file__).resolve().parents[4]
RULES = sorted((REPO / "ops/prometheus/rules").glob("*.yml"))
DASHBOARDS = sorted((REPO / "ops/grafana/dashboards").glob("*.json"))
METRIC_MODULES = (http_metrics, ml_metrics, genai_metrics, worker_metrics)
SEVERITIES = {"critical", "warning", "info"}

# Series that Prometheus makes itself, not the code: scrape health and alert state.
PROMETHEUS_OWN = re.compile(r"^(up|ALERTS|ALERTS_FOR_STATE|scrape_[a-z_]+)$")

# The sample names one metric family exposes, by its type (the family name of a counter
# has no `_total`; `_created` samples exist but are not worth querying).
SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}

# --- a small PromQL reader: enough to find the metric names of an expression -------------
_TOKEN = re.compile(
    r"""
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    | (?P<matchers>\{(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^}"'])*\})
    | (?P<range>\[[^\]]*\])
    | (?P<number>(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?:ms|[smhdwy])*)
    | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<other>\S)
    """,
    re.VERBOSE,
)
# Followed by a parenthesised label list, not by an expression.
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Words of the language that are neither functions nor metrics.
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"} | _GROUPING


def _tokens(expr: str) -> list[tuple[str, str]]:
    return [
        (match.lastgroup or "", match.group())
        for match in _TOKEN.finditer(expr)
        if match.lastgroup not in {"string", "matchers", "range", "number"}
    ]


def _without_label_lists(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop `by (...)`, `on (...)`, `group_left (...)` and the like with their label lists."""
    kept: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "name" and text in _GROUPING and tokens[i + 1 : i + 2] == [("other", "(")]:
            i = next(j for j in range(i + 2, len(tokens)) if tokens[j] == ("other", ")")) + 1
            continue
        kept.append((kind, text))
        i += 1
    return kept


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: names that are not called as a function,
    not a keyword, and not a label (label names only occur in matchers and label lists)."""
    tokens = _without_label_lists(_tokens(expr))
    names = set()
    for i, (kind, text) in enumerate(tokens):
        if kind != "name" or text.lower() in _KEYWORDS:
            continue
        if tokens[i + 1 : i + 2] == [("other", "(")]:  # a function or an aggregation
            continue
        names.add(text)
    return names


_VARIABLE_QUERY = re.compile(r"^\s*(?P<function>\w+)\((?P<args>.*)\)\s*$", re.DOTALL)


def variable_metric_names(query: str) -> set[str]:
    """The metric names of a Grafana variable query: `label_values(metric{...}, label)`,
    `query_result(expr)`; `label_values(label)` and `label_names()` name no metric."""
    match = _VARIABLE_QUERY.match(query)
    if match is None:
        return metric_names(query)
    function, args = match.group("function"), match.group("args")
    if function == "label_values":
        selector, comma, _ = args.rpartition(",")
        return metric_names(selector) if comma else set()
    if function == "label_names":
        return set()
    return metric_names(args if function == "query_result" else query)


# --- what the rules and the dashboards query ------------------------------------------------
def _rules() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield path, rule


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _dashboard(path: Path) -> dict[str, Any]:
    board: dict[str, Any] = json.loads(path.read_text())
    return board


def queries(path: Path) -> list[tuple[str, str]]:
    """(where, PromQL) of every rule expression or dashboard query in one file."""
    if path.suffix == ".yml":
        return [
            (f"{path.name} {rule.get('alert') or rule.get('record')}", rule["expr"])
            for rule_path, rule in _rules()
            if rule_path == path
        ]
    board = _dashboard(path)
    found = [
        (f"{path.name} panel {panel['id']} ({panel['title']}) {target['refId']}", target["expr"])
        for panel in _panels(board["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            found.append((f"{path.name} variable {variable['name']}", text))
    return found


def recorded_names() -> set[str]:
    return {rule["record"] for _, rule in _rules() if "record" in rule}


# --- what the code defines ------------------------------------------------------------------
def _families(module: ModuleType) -> Iterator[tuple[str, str]]:
    for value in vars(module).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                yield family.name, family.type


def exported_samples(tmp_path: Path) -> dict[str, str]:
    """Every sample name the code exports, with the family that exports it."""
    families = [family for module in METRIC_MODULES for family in _families(module)]
    # The API's process metrics come from a collector, not from a metric object.
    collector: Collector = http_metrics.ProcessGroupCollector(tmp_path)
    families += [(family.name, family.type) for family in collector.collect()]
    return {name + suffix: name for name, kind in families for suffix in SAMPLE_SUFFIXES[kind]}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return exported_samples(tmp_path_factory.mktemp("multiproc"))


# --- the reader itself ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up == 0", {"up"}),
        (
            'sum by (job, le) (rate(http_request_duration_seconds_bucket{route!~"/a|/b"}[5m]))',
            {"http_request_duration_seconds_bucket"},
        ),
        (
            'a:b:c{x="}{"} > bool 0.5 and on (model, version) group_left (role) '
            "max without (instance) (info_metric offset 1h) unless absent(other[5m:1m])",
            {"a:b:c", "info_metric", "other"},
        ),
        (
            'topk by (model) (1, x * on (m) group_left y) or vector(0) / scalar(z{a="$var"})',
            {"x", "y", "z"},
        ),
        ("histogram_quantile(0.99, sum(rate(h_bucket[$__rate_interval]))) > Inf", {"h_bucket"}),
        ("w - 1e-3 + 0x1f and v @ start()", {"w", "v"}),
    ],
)
def test_reader_finds_metric_names_and_nothing_else(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_reader_reads_grafana_variable_queries() -> None:
    assert variable_metric_names('label_values(predictions_total{model="$m"}, version)') == {
        "predictions_total"
    }
    assert variable_metric_names("label_values(job)") == set()
    assert variable_metric_names("query_result(topk(5, sum by (q) (queue_messages)))") == {
        "queue_messages"
    }


def test_sample_names_follow_each_family_type(samples: dict[str, str]) -> None:
    expected = {
        "http_requests_total": "http_requests",
        "http_request_duration_seconds_bucket": "http_request_duration_seconds",
        "process_cpu_seconds_total": "process_cpu_seconds",
        "worker_task_duration_seconds_count": "worker_task_duration_seconds",
        "inference_batch_size_sum": "inference_batch_size",
        "model_drift_severity": "model_drift_severity",
    }
    assert {name: samples.get(name) for name in expected} == expected
    # A suffix that does not fit the type is not a name the code exports.
    assert not {"predictions_bucket", "queue_messages_total", "http_requests"} & samples.keys()


# --- the contract ---------------------------------------------------------------------------
def test_rules_and_dashboards_exist() -> None:
    assert {p.name for p in RULES} >= {
        "availability.yml",
        "http.yml",
        "workers.yml",
        "model.yml",
        "slo.yml",
    }
    assert {p.name for p in DASHBOARDS} >= {
        "service.json",
        "workers.json",
        "model.json",
        "slo.json",
        "red.json",
        "workers-use.json",
        "assistant.json",
    }


@pytest.mark.parametrize("path", RULES + DASHBOARDS, ids=lambda p: p.name)
def test_every_queried_metric_is_exported_by_the_code(path: Path, samples: dict[str, str]) -> None:
    recorded = recorded_names()
    unknown = []
    for where, expr in queries(path):
        names = variable_metric_names(expr) if " variable " in where else metric_names(expr)
        unknown += [
            f"{where}: {name}"
            for name in sorted(names)
            if name not in samples and name not in recorded and not PROMETHEUS_OWN.match(name)
        ]
    assert not unknown, "metrics that no code defines:\n" + "\n".join(unknown)


def test_every_recorded_series_is_used_by_its_own_name_only() -> None:
    """Recording rules follow level:metric:operations, so they never shadow a code metric."""
    assert all(name.count(":") == 2 for name in recorded_names())


def test_every_catalogue_metric_has_a_panel(samples: dict[str, str]) -> None:
    on_dashboards: set[str] = set()
    for path in DASHBOARDS:
        for _, expr in queries(path):
            on_dashboards |= {samples[n] for n in variable_metric_names(expr) if n in samples}
    defined = {name for module in METRIC_MODULES for name, _ in _families(module)}
    assert defined - on_dashboards == set()


def test_dashboards_have_unique_uids_and_titles() -> None:
    boards = [_dashboard(path) for path in DASHBOARDS]
    uids = [board.get("uid") for board in boards]
    titles = [board.get("title") for board in boards]
    assert all(uids), "every dashboard needs a uid: links and provisioning rely on it"
    assert len(set(uids)) == len(uids)
    assert all(titles)
    assert len(set(titles)) == len(titles)
    for board in boards:
        panel_ids = [panel["id"] for panel in _panels(board["panels"])]
        assert len(set(panel_ids)) == len(panel_ids), f"{board['uid']}: duplicate panel ids"


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_alert_has_a_severity_and_an_existing_runbook() -> None:
    alerts = [(path, rule) for path, rule in _rules() if "alert" in rule]
    assert len(alerts) >= 12
    problems = []
    for path, rule in alerts:
        where = f"{path.name} {rule['alert']}"
        annotations = rule.get("annotations", {})
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity not one of {sorted(SEVERITIES)}")
        if not annotations.get("summary") or not annotations.get("description"):
            problems.append(f"{where}: summary and description annotations required")
        runbook = annotations.get("runbook_url", "")
        file, _, anchor = runbook.partition("#")
        if not file.startswith("docs/runbooks/") or not (REPO / file).is_file():
            problems.append(f"{where}: runbook_url {runbook!r} is not a file in docs/runbooks/")
        elif anchor and anchor not in _anchors((REPO / file).read_text()):
            problems.append(f"{where}: {file} has no heading for #{anchor}")
    assert not problems, "\n".join(problems)


def test_alert_names_are_unique() -> None:
    names = [rule["alert"] for _, rule in _rules() if "alert" in rule]
    assert len(set(names)) == len(names)
