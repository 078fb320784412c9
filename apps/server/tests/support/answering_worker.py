"""A stand-in for Celery's client and a worker at once, for unit tests of the API's side."""

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any


class AnsweringWorker:
    """ "Sending" a task stores `answer` as its result, where the embedded backend's waiter
    reads it; what was sent (name and options, headers included) is kept in `sent`."""

    def __init__(self, results: Path, answer: dict[str, Any]) -> None:
        self.results, self.answer = results, answer
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send_task(self, name: str, **options: Any) -> SimpleNamespace:
        self.sent.append((name, options))
        task_id = options["task_id"]
        meta = {"status": "SUCCESS", "result": self.answer, "task_id": task_id}
        (self.results / f"celery-task-meta-{task_id}").write_text(json.dumps(meta))
        return SimpleNamespace(id=task_id)
