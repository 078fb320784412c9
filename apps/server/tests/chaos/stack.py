"""The processes of a chaos scenario, on one PostgreSQL database and a Redis of the suite's own.

`ChaosStack` starts the real commands (`python -m server api | worker | beat | create-user`)
through `tests/support/processes.py`, each in a process group that is ended when its block
exits, however the scenario ended. Each process logs to a file of its own under the stack's
folder (`logs/`), kept by pytest after the run for a post-mortem.
"""

import itertools
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from server.core.security.scopes import ALL_SCOPES
from server.tests.support.live_server import LiveServer, free_port, wait_until_up
from server.tests.support.models import MODEL
from server.tests.support.processes import server_process
from server.tests.support.redis_server import RedisServer
from server.tests.support.users import PASSWORD
from server.tests.support.worker import celery_worker

EMAIL = "chaos@example.com"
CLI_BUDGET_S = 120.0
SERVING_BUDGET_S = 120.0
"""A fresh worker loads and verifies the champion before its first answer: on two busy
cores that took tens of seconds."""

PREDICTION_QUEUES = "inference,shadow"
API_KEY_SCOPES = sorted(ALL_SCOPES - {"users:admin"})


@dataclass
class ChaosStack:
    """Where the scenario's processes keep their state, and how clients authenticate."""

    root: Path
    database_url: str
    redis: RedisServer
    api_key: str | None = None
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def artifact_root(self) -> Path:
        return self.root / "artifacts"

    @property
    def headers(self) -> dict[str, str]:
        assert self.api_key, "start an API first: its first start creates the API key"
        return {"X-API-Key": self.api_key}

    def log(self, name: str) -> Path:
        (self.root / "logs").mkdir(exist_ok=True)
        return self.root / "logs" / f"{name}.log"

    def env(self, name: str, **extra: str) -> dict[str, str]:
        """`APP_*` variables of one process called `name` (unique per start)."""
        return {
            "APP_DATABASE_URL": self.database_url,
            "APP_REDIS_URL": self.redis.url(),
            "APP_ARTIFACT_ROOT": str(self.artifact_root),
            "APP_EMBEDDED_BROKER_DIR": str(self.root / "broker"),
            "APP_METRICS_MULTIPROC_DIR": str(self.root / "metrics" / name),
            "APP_BEAT_SCHEDULE_PATH": str(self.root / f"{name}-schedule"),
            # The load is the test's, from one user: the per-user quota (1,200 a minute) is
            # not the fault under test, a 429 would hide the answers that are.
            "APP_RATE_LIMIT_REQUESTS": "1000000",
            **extra,
        }

    def _name(self, kind: str) -> str:
        return f"{kind}-{next(self._names)}"

    def create_user(self) -> None:
        """The load's user, created by the CLI as an operator would."""
        name = self._name("create-user")
        args = ["create-user", "--email", EMAIL, "--superuser"]
        env = self.env(name, APP_NEW_USER_PASSWORD=PASSWORD)
        with server_process(args, env, output=self.log(name)) as process:
            try:
                code = process.wait(timeout=CLI_BUDGET_S)
            except subprocess.TimeoutExpired:
                code = None
        assert code == 0, f"create-user exited with {code}; see {self.log(name)}"

    def _create_api_key(self, base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            signed_in = client.post(
                "/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            created = client.post(
                "/api/v1/api-keys",
                json={"name": "chaos load", "scopes": API_KEY_SCOPES},
                headers=bearer,
            )
            assert created.status_code == 201, created.text
            self.api_key = created.json()["key"]

    @contextmanager
    def api(self, extra: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
        """An API process (`python -m server api`), up (its liveness answers); `extra`:
        more `APP_*` variables."""
        name, port = self._name("api"), free_port()
        env = self.env(name, APP_HOST="127.0.0.1", APP_PORT=str(port), **(extra or {}))
        base_url = f"http://127.0.0.1:{port}"
        with server_process(["api"], env, output=self.log(name)) as process:
            wait_until_up(base_url, process)
            if self.api_key is None:
                self._create_api_key(base_url)
            yield LiveServer(base_url=base_url, process=process)

    @contextmanager
    def worker(
        self,
        queues: str = PREDICTION_QUEUES,
        extra: Mapping[str, str] | None = None,
        wait: bool = True,
    ) -> Iterator[subprocess.Popen[bytes]]:
        """A worker (`python -m server worker`), initialized (its metrics port answers)
        unless `wait` is false: then it is still starting while the API starts too."""
        name = self._name("worker")
        env = self.env(name, APP_WORKER_METRICS_PORT=str(free_port()), **(extra or {}))
        with celery_worker(env, queues, output=self.log(name), wait=wait) as process:
            yield process

    @contextmanager
    def beat(self, extra: Mapping[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
        """Celery beat (`python -m server beat`): the periodic sweeper of stuck jobs."""
        name, env = self._name("beat"), extra or {}
        with server_process(["beat"], self.env(name, **env), output=self.log(name)) as process:
            yield process

    def admin(self, base_url: str) -> httpx.Client:
        return httpx.Client(base_url=base_url, headers=self.headers, timeout=30)

    def set_champion(self, base_url: str, version: int) -> None:
        with self.admin(base_url) as client:
            moved = client.put(
                f"/api/v1/models/{MODEL}/aliases/champion",
                json={"version": version, "reason": "chaos suite"},
            )
        assert moved.status_code == 200, moved.text

    def predict_once(self, base_url: str) -> httpx.Response:
        with self.admin(base_url) as client:
            return client.post("/api/v1/predictions", json={"texts": ["refund my order"]})

    def wait_serving(
        self, base_url: str, version: int | None = None, timeout_s: float = SERVING_BUDGET_S
    ) -> dict[str, Any]:
        """Wait until a prediction succeeds (scored by `version`, when given); its body."""
        deadline = time.monotonic() + timeout_s
        while True:
            answer = self.predict_once(base_url)
            if answer.status_code == 200 and version in (None, answer.json()["version"]):
                body: dict[str, Any] = answer.json()
                return body
            assert time.monotonic() < deadline, (
                f"{base_url} is not serving version {version} after {timeout_s} s: "
                f"{answer.status_code} {answer.text[:300]}"
            )
            time.sleep(0.25)
