"""Draining a real `python -m server api` (uvicorn, several worker processes): on SIGTERM its
readiness turns 503 `draining` at once while it keeps answering for the drain delay, so a
load balancer takes it out before it stops accepting connections; then it exits."""

import signal
import time
from pathlib import Path

import httpx

from server.tests.support.live_server import live_server

DRAIN_S = 4.0


def test_sigterm_turns_readiness_false_at_once_and_serves_through_the_drain(
    tmp_path: Path,
) -> None:
    env = {
        "APP_WORKERS": "2",
        "APP_SHUTDOWN_DRAIN_S": str(DRAIN_S),
        "APP_GRACEFUL_SHUTDOWN_S": "5",
        "APP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "APP_METRICS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    with live_server(env, tmp_path) as running, httpx.Client(base_url=running.base_url) as http:
        # Each request on a new connection: the kernel spreads them over both processes.
        assert all(http.get("/readiness").status_code == 200 for _ in range(6))

        running.process.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        answers = []
        while time.monotonic() - asked < DRAIN_S - 1.0:  # well inside the drain
            response = httpx.get(f"{running.base_url}/readiness", timeout=2)
            answers.append((time.monotonic() - asked, response.status_code))
            if response.status_code == 503:
                assert response.json()["detail"].startswith("failed checks: process (draining")
            assert httpx.get(f"{running.base_url}/health", timeout=2).status_code == 200
            time.sleep(0.05)
        first_503 = next(at for at, status in answers if status == 503)
        assert first_503 < 1.0, answers  # at once, not after the drain
        assert all(status == 503 for at, status in answers if at >= 1.0), answers

        running.process.wait(timeout=DRAIN_S + 5 + 15)
        assert time.monotonic() - asked >= DRAIN_S - 0.5  # it did wait for the drain
