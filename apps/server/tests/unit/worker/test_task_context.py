"""The request and user ids of the API reach every log line of the task serving them."""

from types import SimpleNamespace

import structlog

from server.services.predictions.service import Ticket, batch_headers
from server.worker.celery_worker import _bind_task_context


def test_a_micro_batch_names_each_request_and_user_once() -> None:
    tickets = [Ticket("a", "r1", "u1"), Ticket("b", "r2", "u1"), Ticket("c", "r1", "u1")]
    assert batch_headers(tickets) == {"request_ids": ["r1", "r2"], "user_ids": ["u1"]}
    assert batch_headers([Ticket("x", None, "u2")]) == {"request_ids": [], "user_ids": ["u2"]}


def test_the_worker_binds_the_headers_of_a_batch_task() -> None:
    task = SimpleNamespace(
        name="inference.predict",
        request=SimpleNamespace(request_ids=["r1", "r2"], user_ids=["u1"]),
    )
    _bind_task_context(task_id="t-1", task=task)
    bound = structlog.contextvars.get_contextvars()
    structlog.contextvars.clear_contextvars()
    assert bound["task_id"] == "t-1"
    assert bound["request_ids"] == ["r1", "r2"]
    assert bound["user_ids"] == ["u1"]


def test_the_worker_binds_the_headers_of_a_single_request_task() -> None:
    task = SimpleNamespace(
        name="inference.shadow", request=SimpleNamespace(request_id="r9", user_id="u9")
    )
    _bind_task_context(task_id="t-2", task=task)
    bound = structlog.contextvars.get_contextvars()
    structlog.contextvars.clear_contextvars()
    assert (bound["request_id"], bound["user_id"]) == ("r9", "u9")
    assert "request_ids" not in bound
