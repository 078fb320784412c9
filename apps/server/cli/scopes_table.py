"""The README's table of routes and the scope each needs, generated from the OpenAPI schema."""

from typing import Any

SCOPES_START = "<!-- scopes-table:start -->"
SCOPES_END = "<!-- scopes-table:end -->"


def render_scopes_table(openapi: dict[str, Any]) -> str:
    rows = ["| method | route | needs |", "|---|---|---|"]
    for path, methods in sorted(openapi["paths"].items()):
        for method, spec in methods.items():
            requirements = spec.get("security")
            if not requirements:
                needs = "public"
            else:
                scopes = sorted(
                    {s for req in requirements for group in req.values() for s in group}
                )
                needs = ", ".join(f"`{s}`" for s in scopes) or "any signed-in user or API key"
            rows.append(f"| {method.upper()} | `{path}` | {needs} |")
    return "\n".join(rows)
