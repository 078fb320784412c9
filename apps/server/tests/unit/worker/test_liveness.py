"""A worker whose consumer stopped on an error fails liveness at once and exits (status 1)
after its grace period; a shutdown that was asked for is left alone (issue 13, item 10)."""

import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from server.worker.liveness import LIVENESS_PATH, ConsumerGuard, with_liveness


class Exits:
    def __init__(self) -> None:
        self.codes: list[int] = []

    def __call__(self, code: int) -> None:
        self.codes.append(code)


def guarded(grace_s: float) -> tuple[ConsumerGuard, SimpleNamespace, Exits]:
    exits = Exits()
    guard = ConsumerGuard(grace_s, interval_s=3600, exit_process=exits)
    worker = SimpleNamespace(exitcode=None, pool=None)
    guard.attach(worker)  # its thread checks once, then sleeps: the test drives `check`
    return guard, worker, exits


def test_a_running_consumer_is_alive() -> None:
    guard, _, exits = guarded(0.0)
    guard.check()
    assert guard.alive
    assert exits.codes == []


def test_a_consumer_stopped_by_an_error_fails_liveness_then_exits() -> None:
    guard, worker, exits = guarded(0.2)
    worker.exitcode = 1  # what Celery sets on "Unrecoverable error"
    guard.check()
    assert not guard.alive
    assert exits.codes == []  # its own shutdown gets the grace period
    time.sleep(0.25)
    guard.check()
    assert exits.codes == [1]


def test_a_requested_shutdown_is_not_a_death() -> None:
    guard, worker, exits = guarded(0.0)
    guard.shutdown_requested()  # SIGTERM: a warm shutdown may take its time
    worker.exitcode = 1
    guard.check()
    assert guard.alive
    assert exits.codes == []


def call(app: Callable[..., Iterable[bytes]], path: str) -> tuple[str, bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return seen["status"], body


def test_livez_answers_the_consumer_state_and_other_paths_are_the_metrics() -> None:
    alive = [True]

    def metrics(_environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        return [b"metrics"]

    app = with_liveness(metrics, lambda: alive[0])
    assert call(app, LIVENESS_PATH)[0] == "200 OK"
    assert call(app, "/metrics") == ("200 OK", b"metrics")
    alive[0] = False
    assert call(app, LIVENESS_PATH)[0] == "503 Service Unavailable"
