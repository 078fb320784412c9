"""Reading what the service logged in a test."""

import json


def json_lines(text: str) -> list[dict[str, object]]:
    """The JSON log lines of captured output (other lines skipped)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
