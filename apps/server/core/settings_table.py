"""The README's configuration table, generated from `Settings` so it cannot go stale."""

import json
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from server.config import SECTIONS, SERVER_DIR

START_MARKER = "<!-- settings-table:start -->"
END_MARKER = "<!-- settings-table:end -->"


def _default(field: FieldInfo) -> str:
    value: Any = field.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        return "*(secret)*"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Path):
        # Paths below the package are shown relative to it: the table must not name a machine.
        value = str(value).replace(str(SERVER_DIR), "apps/server")
    if isinstance(value, str):
        value = value.replace(str(SERVER_DIR), "apps/server")
    if value is None:
        return "*(unset)*"
    text = value if isinstance(value, str) else json.dumps(value)
    return f"`{text}`"


def render_settings_table() -> str:
    """One markdown row per setting (variable, default, description), grouped by section."""
    rows = ["| variable | default | description |", "|---|---|---|"]
    for section in SECTIONS:
        title = (section.__doc__ or section.__name__).strip().splitlines()[0]
        rows.append(f"| **{title}** | | |")
        for name, field in section.model_fields.items():
            description = (field.description or "").replace("|", "\\|")
            rows.append(f"| `APP_{name.upper()}` | {_default(field)} | {description} |")
    return "\n".join(rows)


def replace_between(document: str, start_marker: str, end_marker: str, body: str) -> str:
    """Return `document` with the text between two markers replaced by `body`."""
    start = document.index(start_marker) + len(start_marker)
    end = document.index(end_marker)
    return f"{document[:start]}\n{body}\n{document[end:]}"


def replace_settings_table(document: str) -> str:
    """Return `document` with the text between the markers replaced by a fresh table."""
    return replace_between(document, START_MARKER, END_MARKER, render_settings_table())
