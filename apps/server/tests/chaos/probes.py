"""What the chaos scenarios read off the API's readiness probe.

The scenarios judge readiness by what a user of it sees, not by its exact shape: the HTTP
status (does this process get traffic?) and, anywhere in the JSON body, each check whose
`status` is not a success word (what is wrong with a dependency, and why).
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from server.tests.chaos.background import Background

OK_WORDS = frozenset({"ok", "pass", "up", "ready"})

ARTIFACT_REFUSAL = re.compile(r"artifact|verif|digest|sha256|integrity|tamper|refus", re.I)
"""Words by which an answer says that a model artifact was refused."""


def failing_checks(body: Any, path: str = "") -> dict[str, str]:
    """Every check in `body` whose status is not a success word, by its path, with the text
    of that check (its error, say)."""
    found: dict[str, str] = {}
    if isinstance(body, dict):
        status = body.get("status")
        if path and isinstance(status, str) and status.lower() not in OK_WORDS:
            found[path] = str(body)
        for key, value in body.items():
            found.update(failing_checks(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            found.update(failing_checks(value, f"{path}[{index}]"))
    return found


def readiness(base_url: str) -> tuple[int | str, Any]:
    """(status or transport error name, JSON body or None) of one probe, on a new connection
    as a kubelet's probe is."""
    try:
        answer = httpx.get(f"{base_url}/readiness", timeout=2)
    except httpx.TransportError as error:
        return type(error).__name__, None
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, None


def wait_readiness(
    base_url: str, holds: Callable[[int | str, Any], bool], timeout_s: float
) -> tuple[float, Any]:
    """Probe until `holds(status, body)`; (when it first held or `inf`, the last body)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = readiness(base_url)
        if holds(status, body):
            return time.monotonic(), body
        if time.monotonic() > deadline:
            return float("inf"), body
        time.sleep(0.1)


@dataclass(frozen=True)
class Probe:
    sent: float
    status: int | str


class ReadinessProbe(Background):
    """Probes readiness every `interval_s` in a thread while the block runs."""

    def __init__(self, base_url: str, interval_s: float = 0.05) -> None:
        super().__init__("chaos-probe")
        self.base_url, self.interval_s = base_url, interval_s
        self.probes: list[Probe] = []

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            self.probes.append(Probe(sent, readiness(self.base_url)[0]))
            self._stop.wait(self.interval_s)

    def not_ready_after(self, moment: float) -> tuple[float, int]:
        """(seconds from `moment` to the first probe sent after it that did not answer 200 or
        `inf`, how many probes sent after that one still answered 200)."""
        after = [p for p in self.probes if p.sent >= moment]
        first = next((p for p in after if p.status != 200), None)
        if first is None:
            return float("inf"), 0
        return first.sent - moment, sum(1 for p in after if p.sent > first.sent and p.status == 200)
