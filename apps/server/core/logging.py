"""structlog configuration: JSON lines in production, a readable console elsewhere.

The stdlib loggers of uvicorn, SQLAlchemy and Celery are routed through the same processor
chain, so every line carries the same context (`request_id`, `user_id`, ...), which is bound
once per request with `structlog.contextvars`.

A warning repeated while a dependency is down (one per request: `rate_limit.unavailable`,
`batcher.dispatch_failed`) would flood the log; `RepeatedWarnings` lets the first through
and counts the rest (see its docstring).
"""

import logging
import logging.config
import sys
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

from server.config import Settings
from server.core.tracing import enabled as tracing_enabled

# Keys whose values never reach a log line, whatever the level.
REDACTED_KEYS = frozenset(
    {
        "password",
        "token",
        "access_token",
        "refresh_token",
        "authorization",
        "api_key",
        "x_api_key",
        "secret",
        "client_secret",
        "jwt_secret",
        "jwt_private_key",
        "first_superuser_password",
    }
)
REDACTED = "[redacted]"


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace any secret-looking value, so a careless `log.info(..., token=t)` stays safe."""
    for key in event_dict:
        if key.lower() in REDACTED_KEYS:
            event_dict[key] = REDACTED
    return event_dict


def add_trace_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add `trace_id` and `span_id` (hex) to a line logged inside a valid span, so a log
    line leads to its trace and back. Outside one (or with tracing off) nothing is added."""
    if not tracing_enabled():
        return event_dict
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


KEY_FIELDS = ("scope", "error", "exc_type", "reason", "task", "queue", "channel")
"""Fields that tell one warning from another of the same event; their values are few.
Per-request fields (request id, user, client address) are not among them, or every
request's warning would be new and a flood would pass."""
_MAX_KEYS = 4096
"""Distinct warnings remembered at once; past it, those whose window has ended are forgotten."""


class RepeatedWarnings:
    """A structlog processor that rate-limits repeated warnings.

    A warning passes; the same warning (same logger, event and `KEY_FIELDS`) within
    `window_s` after it is dropped and counted; the first one after the window passes and
    carries `suppressed`, the count left out since the last line. Only warnings are limited:
    errors and critical lines always pass (each may be the one that explains an outage, and
    they are rare by design), and info and debug lines are what the log is for (the access
    log, one line per request, is info). Counts still pending when a flood stops are not
    lost for good: the next occurrence reports them.
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s, self._clock = window_s, clock
        self._seen: dict[tuple[Any, ...], list[float]] = {}
        """key -> [end of its window, warnings suppressed since its last line]"""
        self._lock = threading.Lock()  # the API's threadpool logs too

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if method_name not in ("warning", "warn"):
            return event_dict
        key = (
            getattr(logger, "name", None),
            event_dict.get("event"),
            *(str(event_dict.get(field)) for field in KEY_FIELDS),
        )
        now = self._clock()
        with self._lock:
            entry = self._seen.get(key)
            if entry is not None and now < entry[0]:
                entry[1] += 1
                raise structlog.DropEvent
            suppressed = int(entry[1]) if entry is not None else 0
            if entry is None and len(self._seen) >= _MAX_KEYS:
                self._seen = {k: v for k, v in self._seen.items() if v[0] > now}
            self._seen[key] = [now + self.window_s, 0]
        if suppressed:
            event_dict["suppressed"] = suppressed
        return event_dict

    def pending(self) -> int:
        """Warnings suppressed and not yet reported by a later line."""
        with self._lock:
            return int(sum(entry[1] for entry in self._seen.values()))


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (test capture, a redirected stream)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """The stream is always the current `sys.stderr`."""


def _shared_processors() -> list[structlog.typing.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        add_trace_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]


def configure_logging(settings: Settings) -> None:
    """Configure structlog and the stdlib root logger; safe to call more than once."""
    renderer: structlog.typing.Processor
    if settings.json_logs:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)

    shared = _shared_processors()
    limit: list[structlog.typing.Processor] = (
        [RepeatedWarnings(settings.log_repeat_window_s)] if settings.log_repeat_window_s else []
    )
    structlog.configure(
        processors=[
            # Drop events below the level before any work is done on them (measured: 10 %
            # of a /health request went into formatting lines that were then discarded).
            structlog.stdlib.filter_by_level,
            *limit,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter: dict[str, Any] = {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": shared,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    }
    level = settings.log_level.upper()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structlog": formatter},
            "handlers": {
                "default": {"()": StderrHandler, "formatter": "structlog"},
            },
            "root": {"handlers": ["default"], "level": level},
            "loggers": {
                # uvicorn's own access log is replaced by our `http.request` event.
                "uvicorn": {"handlers": [], "propagate": True},
                "uvicorn.error": {"handlers": [], "propagate": True},
                "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
                "sqlalchemy.engine": {
                    "level": "INFO" if settings.database_echo else "WARNING",
                },
                "celery": {"handlers": [], "propagate": True},
                "httpx": {"level": "WARNING"},
            },
        }
    )
