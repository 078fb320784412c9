"""Prometheus metrics of the reply assistant's model calls, named after the OpenTelemetry
GenAI semantic conventions where they have a name (`gen_ai.client.operation.duration`
becomes `gen_ai_client_operation_duration_seconds`, attributes become labels with `_` for
`.`), so that a later switch to OpenTelemetry keeps the dashboards' meaning.

Labels are bounded: providers and models come from the configuration, prompt versions
from the registry, operations and error types from fixed lists in `agents/llm`.
"""

from prometheus_client import Counter, Histogram

CALL_LABELS = [
    "gen_ai_operation_name",
    "gen_ai_provider_name",
    "gen_ai_request_model",
    "prompt_version",
]
# The conventions' buckets: seconds for durations, powers of four for token counts.
DURATION_BUCKETS = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)

OPERATION_DURATION = Histogram(
    "gen_ai_client_operation_duration_seconds",
    "Duration of one attempt at a provider, by operation, provider, model, prompt version "
    "and error type (empty on success).",
    [*CALL_LABELS, "error_type"],
    buckets=DURATION_BUCKETS,
)
TIME_TO_FIRST_CHUNK = Histogram(
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "Time from a streaming request to its first chunk, for answered streams.",
    CALL_LABELS,
    buckets=DURATION_BUCKETS,
)
TOKEN_USAGE = Histogram(
    "gen_ai_client_token_usage",
    "Tokens of one answered call, by token type (input, output).",
    [*CALL_LABELS, "gen_ai_token_type"],
    buckets=TOKEN_BUCKETS,
)
COST = Counter(
    "gen_ai_client_cost",
    "Price of the answered calls, from the configured price table (APP_LLM__PROVIDERS).",
    CALL_LABELS,
)
CIRCUIT_OPEN = Counter(
    "gen_ai_client_circuit_open",
    "Calls that skipped a provider because its circuit breaker was open.",
    ["gen_ai_provider_name"],
)
TOOL_CALLS = Counter(
    "gen_ai_tool_calls",
    "Tool calls of the reply assistant's agent, by tool and outcome (ok, error).",
    ["gen_ai_tool_name", "outcome"],
)
TOOL_DURATION = Histogram(
    "gen_ai_tool_duration_seconds",
    "Duration of one tool call of the reply assistant's agent, by tool.",
    ["gen_ai_tool_name"],
    buckets=DURATION_BUCKETS,
)
DRAFTS = Counter(
    "assistant_drafts",
    "Reply drafts finished, by prompt version and status (completed, failed).",
    ["prompt_version", "status"],
)
