"""Log lines: JSON with bound context, stdlib loggers through the same pipeline, redaction,
repeated warnings limited."""

import contextlib
import logging
from collections import Counter

import pytest
import structlog

from server.core.logging import REDACTED, RepeatedWarnings, configure_logging
from server.tests.support.logs import json_lines
from server.tests.support.settings import SettingsFactory


def test_structlog_events_are_json_with_bound_context(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True))
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.get_logger("test").info("prediction.completed", model_version=3)
    (line,) = json_lines(capsys.readouterr().err)
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
    (line,) = json_lines(capsys.readouterr().err)
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
    (line,) = json_lines(capsys.readouterr().err)
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


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_one_warning_gives_a_line_per_window_and_the_counts_add_up() -> None:
    clock = FakeClock()
    limiter = RepeatedWarnings(window_s=1.0, clock=clock)
    logger = logging.getLogger("server.services.authentication")
    lines = []
    for _ in range(1000):  # 100 a second for 10 s, as while Redis was down
        with contextlib.suppress(structlog.DropEvent):
            lines.append(limiter(logger, "warning", {"event": "rate_limit.unavailable"}))
        clock.now += 0.01
    assert 9 <= len(lines) <= 11
    assert "suppressed" not in lines[0]
    assert all(line["suppressed"] > 0 for line in lines[1:])
    assert sum(1 + line.get("suppressed", 0) for line in lines) + limiter.pending() == 1000


def test_warnings_are_limited_once_configured_and_errors_never(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True, log_repeat_window_s=60))
    log = structlog.get_logger("test")
    for _ in range(1000):
        log.warning("rate_limit.unavailable", scope="api", request_id="one of many")
    for _ in range(5):
        log.warning("rate_limit.unavailable", scope="auth_failures")  # another key field
        log.warning("batcher.dispatch_failed", error="ConnectionError")  # another event
        log.error("predictions.log_write_failed", rows=1)
        log.info("http.request", status=503)
    lines = json_lines(capsys.readouterr().err)
    counted = Counter((line["event"], line.get("scope")) for line in lines)
    assert counted == {
        ("rate_limit.unavailable", "api"): 1,
        ("rate_limit.unavailable", "auth_failures"): 1,
        ("batcher.dispatch_failed", None): 1,
        ("predictions.log_write_failed", None): 5,
        ("http.request", None): 5,
    }


def test_a_zero_window_logs_every_warning(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(log_json=True, log_repeat_window_s=0))
    for _ in range(20):
        structlog.get_logger("test").warning("rate_limit.unavailable", scope="api")
    assert len(json_lines(capsys.readouterr().err)) == 20
