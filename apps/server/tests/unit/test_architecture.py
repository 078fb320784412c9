"""The rooms of the package import one way (see the design notes in the server README).

Each top-level folder of `server` is a room; this test reads every module's imports and
fails on one that crosses a wall, naming the file and the import. Entry points (`main.py`,
`cli/`, `scripts/`, migrations) wire everything and are not checked.
"""

import ast
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from server.config import SERVER_DIR
from server.taskqueue.payloads import ALL_PAYLOADS

ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "core": {"config"},
    "schemas": {"core"},
    "database": {"config", "core"},
    "agents": {"config"},
    "taskqueue": {"config", "core"},
    "services": {"config", "core", "database", "agents", "taskqueue", "schemas"},
    "routes": {"config", "core", "schemas", "services"},
    "worker": {"config", "core", "agents", "taskqueue", "services"},
}
# Narrow, deliberate exceptions: the request-scoped session dependency, a worker process's
# own engine for the tasks it runs, and one dependency-free helper.
EXCEPTIONS = {
    ("routes/deps.py", "server.database.session"),
    ("worker/serving.py", "server.database.session"),
    ("worker/training_tasks.py", "server.database.session"),
    ("worker/prompt_eval_tasks.py", "server.database.session"),
    # The formula-safe CSV cell writer is plain Python with no imports of ours; the data
    # generator's CSV export and the job results share it rather than each writing one.
    ("agents/data/ingest.py", "server.core.csv_cells"),
}


def _modules() -> Iterator[tuple[str, str, str]]:
    """(path relative to the package, its room, each `server.*` module it imports)."""
    for path in sorted(SERVER_DIR.rglob("*.py")):
        relative = path.relative_to(SERVER_DIR)
        room = relative.parts[0]
        if room not in ALLOWED or "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("server."):
                    yield relative.as_posix(), room, name


def test_every_room_imports_only_the_rooms_below_it() -> None:
    crossings = [
        f"{path} imports {name}"
        for path, room, name in _modules()
        if (target := name.split(".")[1]) != room
        and target not in ALLOWED[room]
        and (path, name) not in EXCEPTIONS
    ]
    assert crossings == []


# Services reach the database through `database/<aggregate>_repository.py`: they may import
# the session type and the exceptions, and call the session only to end a transaction.
SERVICE_SQLALCHEMY_MODULES = {"sqlalchemy.exc", "sqlalchemy.ext.asyncio"}
SERVICE_SESSION_CALLS = {"commit", "rollback", "flush"}


def _service_trees() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted((SERVER_DIR / "services").rglob("*.py")):
        yield path.relative_to(SERVER_DIR).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_services_import_no_statement_builders() -> None:
    """`select`, `update`, `func`, `text`... belong to repositories, not to services."""
    found = []
    for path, tree in _service_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [(node.module, ", ".join(alias.name for alias in node.names))]
            elif isinstance(node, ast.Import):
                modules = [(alias.name, alias.name) for alias in node.names]
            else:
                continue
            found += [
                f"{path} imports {names} from {module}"
                for module, names in modules
                if module.split(".")[0] == "sqlalchemy" and module not in SERVICE_SQLALCHEMY_MODULES
            ]
    assert found == []


def test_services_call_the_session_only_to_end_a_transaction() -> None:
    """`session.get`, `.add`, `.execute`... are queries: a repository function runs them."""
    found = [
        f"{path}:{node.lineno} calls session.{node.func.attr}"
        for path, tree in _service_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "session"
        and node.func.attr not in SERVICE_SESSION_CALLS
    ]
    assert found == []


def test_nothing_but_entry_points_imports_the_worker() -> None:
    importers = {path for path, room, name in _modules() if name.startswith("server.worker")}
    assert {path for path in importers if not path.startswith("worker/")} == set()


@pytest.mark.parametrize("rule", sorted(EXCEPTIONS))
def test_each_exception_is_still_needed(rule: tuple[str, str]) -> None:
    path, name = rule
    assert (path, name) in {(p, n) for p, _, n in _modules()}, f"{rule} is obsolete"


def test_every_task_of_the_worker_validates_its_payload_model() -> None:
    from server.worker import (  # noqa: PLC0415 - the worker's tasks register on import
        celery_worker,
        inference_tasks,
        job_tasks,
        monitoring_tasks,
        prompt_eval_tasks,
        training_tasks,
    )

    assert {inference_tasks, job_tasks, monitoring_tasks, prompt_eval_tasks, training_tasks}
    ours = {
        name: task for name, task in celery_worker.celery.tasks.items() if "celery." not in name
    }
    assert set(ours) == {payload.task for payload in ALL_PAYLOADS}
    for name, task in ours.items():
        with pytest.raises(ValidationError, match="not_a_field"):
            task.run(not_a_field=1)
        assert name in {payload.task for payload in ALL_PAYLOADS}
