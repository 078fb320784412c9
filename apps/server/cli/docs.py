"""Generated documents: the OpenAPI contract and the README's tables."""

import json
from pathlib import Path

from server.cli.scopes_table import SCOPES_END, SCOPES_START, render_scopes_table
from server.cli.settings_table import replace_between, replace_settings_table
from server.config import Settings


def write_openapi(output: Path) -> None:
    from server.main import create_app

    schema = create_app(Settings(_env_file=None)).openapi()
    output.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def update_settings_table(readme: Path) -> None:
    """Regenerate the README's tables: settings, and routes with their scopes."""
    from server.main import create_app

    text = replace_settings_table(readme.read_text())
    if SCOPES_START in text:
        scopes = render_scopes_table(create_app(Settings(_env_file=None)).openapi())
        text = replace_between(text, SCOPES_START, SCOPES_END, scopes)
    readme.write_text(text)
