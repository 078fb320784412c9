"""Log lines: JSON with bound context, stdlib loggers through the same pipeline, redaction."""

import json
import logging

import pytest
import structlog

from server.core.logging import REDACTED, configure_logging
from server.tests.support.settings import SettingsFactory


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_structlog_events_are_json_with_bound_context(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True))
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.get_logger("test").info("prediction.completed", model_version=3)
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "prediction.completed"
    assert line["request_id"] == "req-1"
    assert line["model_version"] == 3
    assert line["level"] == "info"
    assert "timestamp" in line


@pytest.mark.parametrize("name", ["uvicorn.error", "sqlalchemy.engine", "celery.worker"])
def test_stdlib_loggers_share_the_pipeline(
    name: str, make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True))
    with structlog.contextvars.bound_contextvars(request_id="req-2"):
        logging.getLogger(name).warning("plain %s message", "stdlib")
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["event"] == "plain stdlib message"
    assert line["logger"] == name
    assert line["request_id"] == "req-2"


def test_secrets_never_reach_a_log_line(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True))
    structlog.get_logger("test").info(
        "auth.attempt", password="hunter2", Authorization="Bearer abc", user="ann"
    )
    (line,) = _json_lines(capsys.readouterr().err)
    assert line["password"] == REDACTED
    assert line["Authorization"] == REDACTED
    assert line["user"] == "ann"


def test_console_renderer_outside_production(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=False))
    structlog.get_logger("test").info("app.started", version="1")
    err = capsys.readouterr().err
    assert "app.started" in err
    assert not err.lstrip().startswith("{")
