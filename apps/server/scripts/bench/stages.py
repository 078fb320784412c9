"""The API's CPU per request by stage, from a py-spy profile taken under load.

Each busy sample's stack is given to the deepest stage whose frame it holds (a quota check
runs inside the sign-in dependency, so it counts as quota, not as auth); samples holding
none are the event loop and other work. Each stage's share of the samples, times the CPU
per request the kernel counted for the process in the same window, gives microseconds of
CPU per request by stage. Waits (the batching window, the worker) use no
CPU here and appear in the latency figures instead.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from server.scripts.bench.profile import IDLE_FRAMES

# (stage, function name, file path fragment); the function name "" matches any function.
MARKERS: tuple[tuple[str, str, str], ...] = (
    ("HTTP server", "", "uvicorn/protocols/"),
    ("HTTP server", "", "server/core/http_protocol.py"),
    ("framework", "", "fastapi/"),
    ("framework", "", "starlette/"),
    ("middleware", "", "server/core/middleware.py"),
    ("middleware", "", "server/core/security/"),
    ("request parsing", "request_body_to_args", "fastapi/dependencies/utils.py"),
    ("request parsing", "json", "starlette/requests.py"),
    ("request parsing", "body", "starlette/requests.py"),
    ("auth", "get_principal", "server/routes/deps.py"),
    ("auth", "authenticate", "server/services/authentication.py"),
    ("quota", "enforce_rate_limit", "server/services/authentication.py"),
    ("routing and checks", "predict", "server/services/predictions/service.py"),
    ("batching", "", "server/services/predictions/batcher.py"),
    ("broker publish", "", "server/taskqueue/publisher.py"),
    ("result wait", "", "server/taskqueue/results/"),
    ("prediction log", "", "server/services/predictions/record"),
    ("response", "serialize_response", "fastapi/routing.py"),
    ("response", "render", "starlette/responses.py"),
    ("response", "send", "uvicorn/protocols/http/"),
)
OTHER = "event loop, other"
STAGE_ORDER = (
    "auth",
    "quota",
    "request parsing",
    "routing and checks",
    "batching",
    "broker publish",
    "result wait",
    "prediction log",
    "response",
    "middleware",
    "framework",
    "HTTP server",
    OTHER,
)


def _frame_stage(frame: str) -> str | None:
    qualified, _, where = frame.partition(" (")
    name = qualified.rsplit(".", 1)[-1]  # py-spy writes methods as `Class.method`
    for stage, function, fragment in MARKERS:
        if fragment in where and (not function or name == function):
            return stage
    return None


def stage_of(stack: str) -> str:
    """The deepest stage a `;`-separated stack (root first) passes through."""
    found = OTHER
    for frame in stack.split(";"):
        stage = _frame_stage(frame)
        if stage is not None:
            found = stage
    return found


def per_request(folded: Path, cpu_us: float) -> dict[str, float]:
    """Microseconds of API CPU per request by stage (and `total`): each stage's share of
    the busy samples in py-spy's raw output times `cpu_us`, the CPU per request the process
    used in the same window by the kernel's count (sampling alone over-counts: py-spy
    pauses the process to read it, and takes some waiting threads for busy ones)."""
    samples: Counter[str] = Counter()
    if folded.is_file():
        for line in folded.read_text("utf-8", "replace").splitlines():
            stack, _, count = line.rpartition(" ")
            leaf = stack.rsplit(";", 1)[-1]
            if count.isdigit() and not leaf.startswith(IDLE_FRAMES):
                samples[stage_of(stack)] += int(count)
    busy = sum(samples.values())
    if not busy:
        return {}
    costs = {
        stage: round(samples[stage] / busy * cpu_us, 1) for stage in STAGE_ORDER if samples[stage]
    }
    costs["total"] = round(cpu_us, 1)
    return costs
