"""The README's configuration table, generated from `Settings` so it cannot go stale."""

import json
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from server.config import SECTIONS, SERVER_DIR
from server.config.renamed import RENAMED

START_MARKER = "<!-- settings-table:start -->"
END_MARKER = "<!-- settings-table:end -->"
RENAMED_START = "<!-- settings-renamed:start -->"
RENAMED_END = "<!-- settings-renamed:end -->"


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


def _group(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a nested group of settings (`training`, `gates`...), else None."""
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _rows(variable: str, fields: dict[str, FieldInfo]) -> list[str]:
    rows = []
    for name, field in fields.items():
        group = _group(field)
        if group is not None:
            # A nested group is set one field at a time, `APP_TRAINING__SEED`.
            rows += _rows(f"{variable}{name.upper()}__", group.model_fields)
            continue
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{variable}{name.upper()}` | {_default(field)} | {description} |")
    return rows


def render_settings_table() -> str:
    """One markdown row per setting (variable, default, description), grouped by section."""
    rows = ["| variable | default | description |", "|---|---|---|"]
    for section in SECTIONS:
        title = (section.__doc__ or section.__name__).strip().splitlines()[0]
        rows.append(f"| **{title}** | | |")
        rows += _rows("APP_", section.model_fields)
    return "\n".join(rows)


def render_renamed_table() -> str:
    """The renamed variables, old and new; the service refuses to start on an old one."""
    rows = ["| old variable | new variable |", "|---|---|"]
    rows += [f"| `{old}` | `{new}` |" for old, new in RENAMED.items()]
    return "\n".join(rows)


def replace_between(document: str, start_marker: str, end_marker: str, body: str) -> str:
    """Return `document` with the text between two markers replaced by `body`."""
    start = document.index(start_marker) + len(start_marker)
    end = document.index(end_marker)
    return f"{document[:start]}\n{body}\n{document[end:]}"


def replace_settings_table(document: str) -> str:
    """Return `document` with the settings table (and the renamed table, where the document
    has its markers) regenerated between their markers."""
    document = replace_between(document, START_MARKER, END_MARKER, render_settings_table())
    if RENAMED_START in document:
        document = replace_between(document, RENAMED_START, RENAMED_END, render_renamed_table())
    return document
