"""Committed artefacts that must follow the code: the OpenAPI contract and the README table."""

import json
import re

from server.cli.scopes_table import SCOPES_END, SCOPES_START, render_scopes_table
from server.cli.settings_table import (
    END_MARKER,
    RENAMED_END,
    RENAMED_START,
    START_MARKER,
    render_renamed_table,
    render_settings_table,
)
from server.config import SERVER_DIR, Settings
from server.main import create_app

README = SERVER_DIR.parent.parent / "README.md"


def current_schema() -> dict[str, object]:
    schema: dict[str, object] = create_app(Settings(_env_file=None)).openapi()
    return schema


def test_the_committed_openapi_contract_matches_the_app() -> None:
    committed = json.loads((SERVER_DIR / "openapi.json").read_text())
    assert committed == current_schema(), "the API changed: run `make openapi` and review"


def test_no_two_schemas_share_a_name() -> None:
    """Two models of one name get module-qualified names (`server__schemas__...`), which
    rename the other one's type in the generated client and break the console's build."""
    components = current_schema()["components"]
    assert isinstance(components, dict)
    qualified = [name for name in components["schemas"] if name.startswith("server__")]
    assert qualified == [], "rename one of the models that share a name"


def test_every_operation_has_a_tag_a_summary_and_documented_errors() -> None:
    paths = current_schema()["paths"]
    assert isinstance(paths, dict)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("tags"), f"{method.upper()} {path} has no tag"
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            if path.startswith("/api/"):
                assert "422" in operation["responses"] or method == "get"


def test_the_readme_settings_table_is_current() -> None:
    text = README.read_text()
    section = text[text.index(START_MARKER) + len(START_MARKER) : text.index(END_MARKER)]
    assert section.strip() == render_settings_table(), "Settings changed: run `make docs`"


def test_the_readme_renamed_settings_table_is_current() -> None:
    text = README.read_text()
    section = text[text.index(RENAMED_START) + len(RENAMED_START) : text.index(RENAMED_END)]
    assert section.strip() == render_renamed_table(), "Renamed settings changed: run `make docs`"


def test_every_setting_is_documented() -> None:
    undocumented = [name for name, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_the_readme_scopes_table_is_current() -> None:
    text = README.read_text()
    section = text[text.index(SCOPES_START) + len(SCOPES_START) : text.index(SCOPES_END)]
    expected = render_scopes_table(create_app(Settings(_env_file=None)).openapi())
    assert section.strip() == expected, "Routes changed: run `make docs`"


def test_every_schema_reference_resolves() -> None:
    schema = create_app(Settings(_env_file=None)).openapi()
    components = schema["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema))
    assert refs
    assert sorted(set(refs) - set(components)) == []
