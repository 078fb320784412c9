"""Concurrent client load for the chaos scenarios, run beside the faults.

`Load` runs its clients on an event loop in a thread of its own, so the scenario itself can
block (start and kill processes, wait on readiness) without pausing the load. Every request
becomes an `Outcome`: when it started and ended, and its HTTP status or, when no answer came,
the name of the transport error (`ConnectError`, `ReadTimeout`, ...).
"""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from server.tests.chaos.background import Background

CLIENTS = 12
"""Concurrent clients: enough to keep requests in flight at any fault, few enough for two
cores that also run the API, a worker, PostgreSQL and Redis."""
THINK_S = 0.05
"""Pause of each client between its requests: bounds the rate while every answer is a
quick 503 (a broker down), which would otherwise spin the machine."""
REQUEST_TIMEOUT_S = 30.0
"""A request still unanswered after this is cut off and counted as a hang (`ReadTimeout`)."""

TEXTS = (
    "I was charged twice for my order, please refund",
    "the app crashes when I open the settings page",
    "how do I change the email address on my account",
    "my package never arrived and tracking is stuck",
    "cannot log in after resetting my password",
)

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
"""One request of client N (its number), on that client's connection pool."""


@dataclass(frozen=True)
class Outcome:
    started: float
    """`time.monotonic()` when the request was sent (the scenario's clock)."""
    ended: float
    status: int | str
    """The HTTP status, or the name of the transport error when no answer came."""
    target: str
    version: int | None = None
    """The model version a successful prediction names."""
    detail: str | None = None
    """The problem details' `detail` of an error answer."""

    @property
    def answered(self) -> bool:
        return isinstance(self.status, int)

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def predict(headers: dict[str, str]) -> Request:
    """A one-ticket `POST /api/v1/predictions`."""

    async def send(client: httpx.AsyncClient, number: int) -> httpx.Response:
        text = f"{TEXTS[number % len(TEXTS)]} (ticket {number})"
        return await client.post("/api/v1/predictions", json={"texts": [text]}, headers=headers)

    return send


def get(path: str, headers: dict[str, str]) -> Request:
    """A `GET path` (a batch job's status, say)."""

    async def send(client: httpx.AsyncClient, number: int) -> httpx.Response:
        return await client.get(path, headers=headers)

    return send


def _outcome(target: str, started: float, response: httpx.Response) -> Outcome:
    ended = time.monotonic()
    version: int | None = None
    detail: str | None = None
    body: Any = None
    if response.headers.get("content-type", "").endswith("json"):
        try:
            body = response.json()
        except ValueError:
            body = None
    if isinstance(body, dict):
        if response.is_success and isinstance(body.get("version"), int):
            version = body["version"]
        elif not response.is_success and body.get("detail") is not None:
            detail = str(body["detail"])
    return Outcome(started, ended, response.status_code, target, version, detail)


class Load(Background):
    """`clients` callers sending `request` to `targets` (base URLs, spread over the clients)
    until the block ends; `outcomes` holds every request so far. Stopping waits for every
    request in flight (each ends within its timeout)."""

    join_timeout_s = REQUEST_TIMEOUT_S + 10

    def __init__(
        self,
        targets: Sequence[str],
        request: Request,
        clients: int = CLIENTS,
        think_s: float = THINK_S,
    ) -> None:
        super().__init__("chaos-load")
        self.targets, self.request = list(targets), request
        self.clients, self.think_s = clients, think_s
        self._outcomes: list[Outcome] = []

    @property
    def outcomes(self) -> list[Outcome]:
        return list(self._outcomes)

    def _run(self) -> None:
        asyncio.run(self._clients())

    async def _clients(self) -> None:
        await asyncio.gather(*(self._client(n) for n in range(self.clients)))

    async def _client(self, number: int) -> None:
        target = self.targets[number % len(self.targets)]
        timeout = httpx.Timeout(REQUEST_TIMEOUT_S, connect=5.0)
        async with httpx.AsyncClient(base_url=target, timeout=timeout) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = await self.request(client, number)
                except httpx.TransportError as error:
                    outcome = Outcome(started, time.monotonic(), type(error).__name__, target)
                else:
                    outcome = _outcome(target, started, response)
                self._outcomes.append(outcome)
                await asyncio.sleep(self.think_s)

    def first_success(self, after: float, timeout_s: float, target: str | None = None) -> float:
        """Wait until a request sent at or after `after` succeeds; return when it ended, or
        `inf` if none did within `timeout_s` of `after`."""
        deadline = after + timeout_s
        while True:
            ended = first_success_after(self._outcomes, after, target)
            if ended is not None:
                return ended
            if time.monotonic() > deadline or not self._thread.is_alive():
                return float("inf")
            time.sleep(0.05)


def first_success_after(
    outcomes: Iterable[Outcome], after: float, target: str | None = None
) -> float | None:
    """When the first request sent at or after `after` (to `target`, if given) got a 2xx."""
    ends = [
        o.ended
        for o in list(outcomes)
        if o.started >= after
        and isinstance(o.status, int)
        and 200 <= o.status < 300
        and (target is None or o.target == target)
    ]
    return min(ends, default=None)


def by_status(outcomes: Iterable[Outcome]) -> Counter[str]:
    """Requests per HTTP status (or transport error name)."""
    return Counter(str(o.status) for o in outcomes)
