"""A hook for each model call's numbers, so that metrics stay outside `agents/`."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CallRecord:
    """One attempt at one provider. `error_type` is None on success, else a short class
    (`rate_limited`, `server_error`, `timeout`, `connection`, `bad_response`,
    `client_error`, `circuit_open`)."""

    provider: str
    model: str
    streaming: bool
    duration_s: float
    error_type: str | None
    first_chunk_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


class CallObserver(Protocol):
    def record(self, call: CallRecord) -> None:
        """Called once per attempt, successful or not."""


class NoObserver:
    """Records nothing (tests, notebooks)."""

    def record(self, call: CallRecord) -> None:
        del call
