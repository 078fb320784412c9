"""Starting the fake OpenAI-compatible server (`fake_openai.py`) and scripting it."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from server.config import SERVER_DIR
from server.config.llm import ProviderConfig
from server.tests.support.live_server import free_port
from server.tests.support.processes import answers, end_group, wait_for


@dataclass(frozen=True)
class FakeOpenAI:
    """A running fake provider process; each `name` is a provider of its own."""

    url: str

    def base_url(self, name: str) -> str:
        return f"{self.url}/{name}/v1"

    def provider(self, name: str, **fields: Any) -> ProviderConfig:
        return ProviderConfig(
            name=name, base_url=self.base_url(name), model=f"{name}-model", **fields
        )

    def script(self, name: str, *steps: dict[str, Any]) -> None:
        """Replace `name`'s scripted replies and forget what it received."""
        httpx.post(
            f"{self.url}/_control/script/{name}", json=list(steps), timeout=5
        ).raise_for_status()

    def release(self, name: str) -> None:
        """Let `name`'s held stream (a step with `hold_after`) go on."""
        httpx.post(f"{self.url}/_control/release/{name}", timeout=5).raise_for_status()

    def received(self, name: str) -> list[dict[str, Any]]:
        """The request bodies `name` received since it was last scripted."""
        response = httpx.get(f"{self.url}/_control/requests/{name}", timeout=5)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """Run the fake provider on a free port until the context ends (also on failure)."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-m", "server.tests.support.fake_openai", str(port)],
        env={**os.environ, "PYTHONPATH": str(SERVER_DIR.parent)},
        cwd=SERVER_DIR,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(answers(f"{url}/_control/health"), process, "the fake OpenAI server", 60)
        yield FakeOpenAI(url)
    finally:
        end_group(process, timeout_s=5)
